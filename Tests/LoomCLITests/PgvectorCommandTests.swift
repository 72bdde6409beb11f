import Foundation
import LoomTestSupport
import Testing

/// `loom index` and `loom search` on a server with pgvector (the PostgreSQL 18 build of
/// Scripts/pgvector-venv): the index builds its HNSW index and searches in the database, ranking as
/// the index file does (scores to 1e-5: pgvector sums the dot products in its own order), and
/// `?loom_search=exact` on the URL gives the file's exact scan, score for score.
@Suite struct PgvectorCommandTests {
    func searchResults(_ query: String, index: String, in folder: URL) throws -> (results: [[String: Any]], stderr: String) {
        let result = try CLIRunner.run(["search", query, "--index", index, "--json"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return (object?["results"] as? [[String: Any]] ?? [], result.stderr)
    }

    @Test func indexAndSearchWithPgvectorAsInAFile() throws {
        guard InstalledModels.file("minilm-l6-v2", "model.safetensors") != nil,
              let cluster = PostgresTestCluster.sharedPgvector() else { return }
        let database = try cluster.createDatabase("cli_pgvector").absoluteString
        let folder = try Fixtures.temporaryDirectory("loom-pgvector-index")
        defer { try? FileManager.default.removeItem(at: folder) }
        let corpus = folder.appendingPathComponent("corpus")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        let texts = ["a-garden.txt": "Tomatoes need full sun and regular watering.",
                     "b-engine.md": "The diesel engine needs an oil change every ten thousand kilometres.",
                     "c-bread.txt": "Bake the bread at two hundred degrees for forty minutes.",
                     "d-river.txt": "The river floods the valley every spring when the snow melts."]
        for (name, text) in texts { try text.write(to: corpus.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        for index in [database, "media.loom"] {
            let run = try CLIRunner.run(["index", "corpus", "--index", index, "--threads", "2"], in: folder)
            #expect(run.status == 0 && !run.stderr.contains("note:"), "\(run.stderr)")
        }

        for query in ["oil for a diesel motor", "how long to bake", "watering plants", "spring floods"] {
            let (inDatabase, notes) = try searchResults(query, index: database, in: folder)
            let (exact, _) = try searchResults(query, index: database + "?loom_search=exact", in: folder)
            let (fromFile, _) = try searchResults(query, index: "media.loom", in: folder)
            #expect(!notes.contains("note:"), "\(notes)")
            func ranked(_ results: [[String: Any]]) -> [String] { results.map { "\($0["path"] ?? "") \($0["match"] ?? "")" } }
            func scores(_ results: [[String: Any]]) -> [Double] { results.map { $0["score"] as? Double ?? .nan } }
            #expect(inDatabase.count == 4 && ranked(inDatabase) == ranked(fromFile), "\(query)")
            #expect(zip(scores(inDatabase), scores(fromFile)).allSatisfy { abs($0 - $1) < 1e-5 }, "\(query)")
            #expect(ranked(exact) == ranked(fromFile) && scores(exact) == scores(fromFile), "\(query)")
        }

        let bad = try CLIRunner.run(["search", "bread", "--index", database + "?loom_search=fast"], in: folder)
        #expect(bad.status != 0 && bad.stderr.contains("loom_search=fast is not a search mode"), "\(bad.stderr)")
    }
}
