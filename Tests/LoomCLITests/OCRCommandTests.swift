import Foundation
import LoomTestSupport
import Testing

/// `loom ocr` and the index's OCR segments on Samples' text images with the real PP-OCRv4 graphs.
@Suite(.serialized) struct OCRCommandTests {
    static var modelInstalled: Bool { InstalledModels.file("pp-ocrv4", "rec.onnx") != nil }

    func images(_ folder: URL) throws -> URL {
        let images = folder.appendingPathComponent("scans")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        for name in ["eurotext.png", "seafire.jpg"] {
            try FileManager.default.copyItem(at: Fixtures.sample("images/\(name)"), to: images.appendingPathComponent(name))
        }
        return images
    }

    @Test func formatsSkipsAndBadImages() throws {
        guard Self.modelInstalled else { return }
        let folder = try Fixtures.temporaryDirectory("loom-ocr")
        defer { try? FileManager.default.removeItem(at: folder) }
        let images = try images(folder)
        try Data("\u{89}PNG\r\n\u{1A}\nnot really".utf8).write(to: images.appendingPathComponent("broken.png"))
        let run = try CLIRunner.run(["ocr", "scans", "--format", "txt,json,tsv", "--output-dir", "out", "--threads", "2"], in: folder)
        #expect(run.status == 1, "the broken image makes the exit status non-zero")
        #expect(run.stderr.contains("broken.png"), "\(run.stderr)")
        #expect(run.stderr.contains("2 read, 0 skipped, 1 failed"), "\(run.stderr)")

        let text = try String(contentsOf: folder.appendingPathComponent("out/eurotext.txt"), encoding: .utf8)
        #expect(text.hasPrefix("The (quick) [brown] {fox} jumps!\nOver the $43,456.78 <lazy> #90 dog\n"), "\(text)")
        #expect(text.split(separator: "\n").count == 12)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("out/seafire.json"))) as? [String: Any]
        let lines = json?["lines"] as? [[String: Any]] ?? []
        #expect(lines.map { $0["text"] as? String } == ["ROYALNAVY", "IC05", "SX336"])
        let box = lines.first?["box"] as? [[Double]] ?? []
        #expect(box.count == 4 && box.allSatisfy { $0.count == 2 })
        #expect((lines.first?["confidence"] as? Double).map { $0 > 0.5 && $0 <= 1 } == true)
        let tsv = try String(contentsOf: folder.appendingPathComponent("out/seafire.tsv"), encoding: .utf8).split(separator: "\n")
        #expect(tsv.first == "confidence\tx1\ty1\tx2\ty2\tx3\ty3\tx4\ty4\ttext")
        #expect(tsv.dropFirst().first?.hasSuffix("\tROYALNAVY") == true)

        // A second run keeps the finished outputs; a higher confidence floor drops lines.
        try FileManager.default.removeItem(at: images.appendingPathComponent("broken.png"))
        let again = try CLIRunner.run(["ocr", "scans", "--output-dir", "out"], in: folder)
        #expect(again.status == 0 && again.stderr.contains("0 read, 2 skipped"), "\(again.stderr)")
        let strict = try CLIRunner.run(["ocr", "scans/seafire.jpg", "--output-dir", "strict", "--min-confidence", "0.9"], in: folder)
        #expect(strict.status == 0, "\(strict.stderr)")
        #expect(try String(contentsOf: folder.appendingPathComponent("strict/seafire.txt"), encoding: .utf8) == "ROYALNAVY\nSX336\n")
        let bad = try CLIRunner.run(["ocr", "scans", "--format", "pdf"], in: folder)
        #expect(bad.status != 0 && bad.stderr.contains("unknown format 'pdf'"))
        let missing = try CLIRunner.run(["ocr", "scans", "--model", "nowhere/at-all"], in: folder)
        #expect(missing.status != 0 && missing.stderr.contains("nowhere/at-all"), "\(missing.stderr)")
    }

    @Test func indexFindsAnImageByTheWordsPrintedInIt() throws {
        guard Self.modelInstalled, InstalledModels.file("minilm-l6-v2", "model.safetensors") != nil else { return }
        let folder = try Fixtures.temporaryDirectory("loom-ocr-index")
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try images(folder)
        try FileManager.default.copyItem(at: Fixtures.sample("images/coffee.jpg"), to: folder.appendingPathComponent("scans/coffee.jpg"))
        let index = try CLIRunner.run(["index", "scans", "--threads", "2"], in: folder)
        #expect(index.status == 0, "\(index.stderr)")
        #expect(index.stderr.contains("ocr pp-ocrv4"), "\(index.stderr)")
        let search = try CLIRunner.run(["search", "a fox jumps over a lazy dog", "--json"], in: folder)
        let object = try JSONSerialization.jsonObject(with: Data(search.stdout.utf8)) as? [String: Any]
        let first = (object?["results"] as? [[String: Any]])?.first
        #expect((first?["path"] as? String)?.hasSuffix("eurotext.png") == true, "\(search.stdout)")
        #expect(first?["match"] as? String == "ocr" && (first?["text"] as? String)?.contains("fox") == true, "the matching line: \(search.stdout)")

        // Without OCR the same index re-reads nothing for the images it has; --ocr-model none is off.
        let off = try CLIRunner.run(["index", "scans", "--ocr-model", "none", "--index", "plain.loom"], in: folder)
        #expect(off.status == 0 && !off.stderr.contains("ocr pp-ocrv4"), "\(off.stderr)")
    }

    @Test func pipelineStepWritesTheLinesAndIndexesThem() throws {
        guard Self.modelInstalled, InstalledModels.file("minilm-l6-v2", "model.safetensors") != nil else { return }
        let folder = try Fixtures.temporaryDirectory("loom-ocr-pipeline")
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try images(folder)
        try """
            name: read-scans
            inputs:
              - path: scans
            models:
              ocr: pp-ocrv4
              text: minilm-l6-v2
            steps:
              decode:
                uses: decode
              read:
                uses: ocr
                needs: [decode]
                model: ocr
                with:
                  min_confidence: 0.9
              embed:
                uses: embed
                needs: [read]
                model: text
              index:
                uses: index
                needs: [read, embed]
              texts:
                uses: write
                needs: [read]
                with:
                  formats: [txt]
            outputs:
              folder: out
            """.write(to: folder.appendingPathComponent("scans.yaml"), atomically: true, encoding: .utf8)
        let run = try CLIRunner.run(["run", "scans.yaml"], in: folder)
        #expect(run.status == 0, "\(run.stderr)")
        // min_confidence 0.9 drops the fuselage's 105 (read as IC05 at 0.67).
        #expect(try String(contentsOf: folder.appendingPathComponent("out/seafire.txt"), encoding: .utf8) == "ROYALNAVY\nSX336\n")
        let search = try CLIRunner.run(["search", "raposa marrom rapida", "--index", "out/media.loom", "--k", "1"], in: folder)
        #expect(search.stdout.contains("eurotext.png") && search.stdout.contains("raposa"), "\(search.stdout)")
        // A re-run reads nothing again.
        let again = try CLIRunner.run(["run", "scans.yaml"], in: folder)
        #expect(again.status == 0 && !again.stderr.contains("models loaded: ocr"), "\(again.stderr)")
    }
}
