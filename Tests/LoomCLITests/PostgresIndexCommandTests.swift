import Foundation
import LoomTestSupport
import Testing

/// `--index postgres://...` wherever `--index FILE` works: `loom index` and `loom search` give the
/// same ranked results from a PostgreSQL database as from an index file, and a pipeline's index step
/// writes into a database given with `--set index.file=postgres://...`.
@Suite(.serialized) struct PostgresIndexCommandTests {
    func searchResults(_ query: String, index: String, in folder: URL) throws -> [[String: Any]] {
        let result = try CLIRunner.run(["search", query, "--index", index, "--json"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return object?["results"] as? [[String: Any]] ?? []
    }

    @Test func indexAndSearchInADatabaseAsInAFile() throws {
        guard InstalledModels.file("minilm-l6-v2", "model.safetensors") != nil,
              let cluster = PostgresTestCluster.shared() else { return }
        let database = try cluster.createDatabase("cli").absoluteString
        let folder = try Fixtures.temporaryDirectory("loom-pg-index")
        defer { try? FileManager.default.removeItem(at: folder) }
        let corpus = folder.appendingPathComponent("corpus")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        let texts = ["a-garden.txt": "Tomatoes need full sun and regular watering.",
                     "b-engine.md": "The diesel engine needs an oil change every ten thousand kilometres.",
                     "c-bread.txt": "Bake the bread at two hundred degrees for forty minutes."]
        for (name, text) in texts { try text.write(to: corpus.appendingPathComponent(name), atomically: true, encoding: .utf8) }

        let missing = try CLIRunner.run(["search", "tomatoes", "--index", database], in: folder)
        #expect(missing.status != 0 && missing.stderr.contains("\(database): no index here"), "\(missing.stderr)")

        for index in [database, "media.loom"] {
            let run = try CLIRunner.run(["index", "corpus", "--index", index, "--threads", "2"], in: folder)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("3 added, 0 updated, 0 unchanged"), "\(run.stdout)")
        }
        let rerun = try CLIRunner.run(["index", "corpus", "--index", database, "--threads", "2"], in: folder)
        #expect(rerun.stdout.contains("0 added, 0 updated, 3 unchanged") && rerun.stdout.contains("\(database) holds 3 items"), "\(rerun.stdout)")

        for query in ["oil for a diesel motor", "how long to bake", "watering plants"] {
            let fromDatabase = try searchResults(query, index: database, in: folder)
            let fromFile = try searchResults(query, index: "media.loom", in: folder)
            func ranked(_ results: [[String: Any]]) -> [String] {
                results.map { "\($0["path"] ?? "") \($0["match"] ?? "") \($0["score"] ?? "")" }
            }
            #expect(fromDatabase.count == 3 && ranked(fromDatabase) == ranked(fromFile), "\(query)")
        }
    }

    @Test func aPipelineIndexesIntoADatabase() throws {
        guard InstalledModels.file("whisper-tiny.en", "model.bin") != nil, InstalledModels.file("minilm-l6-v2", "config.json") != nil,
              let cluster = PostgresTestCluster.shared() else { return }
        let database = try cluster.createDatabase("pipeline").absoluteString
        let folder = try Fixtures.temporaryDirectory("loom-pg-run")
        defer { try? FileManager.default.removeItem(at: folder) }
        let media = folder.appendingPathComponent("media")
        try FileManager.default.createDirectory(at: media, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Fixtures.sample("audio/jfk.wav"), to: media.appendingPathComponent("jfk.wav"))
        let file = folder.appendingPathComponent("index.yaml")
        try """
            inputs:
              - path: media
            models:
              asr: whisper-tiny.en
              text: minilm-l6-v2
            steps:
              decode:
                uses: decode
              transcribe:
                uses: transcribe
                needs: [decode]
                model: asr
                with:
                  beam: 1
                  vad: off
              embed:
                uses: embed
                needs: [transcribe]
                model: text
              index:
                uses: index
                needs: [transcribe, embed]
            outputs:
              folder: out
            """.write(to: file, atomically: true, encoding: .utf8)
        let run = try CLIRunner.run(["run", file.path, "--set", "index.file=\(database)", "--threads", "2"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out/media.loom").path), "no index file beside")
        let plan = try CLIRunner.run(["run", file.path, "--dry-run", "--set", "index.file=postgres://loom:secret@127.0.0.1:1/media"])
        #expect(plan.stdout.contains("file=postgres://loom:***@127.0.0.1:1/media") && !plan.stdout.contains("secret"), "\(plan.stdout)")
        let hits = try searchResults("what can I do for my country", index: database, in: folder)
        #expect((hits.first?["path"] as? String)?.hasSuffix("jfk.wav") == true && hits.first?["match"] as? String == "transcript",
                "\(hits)")
    }
}
