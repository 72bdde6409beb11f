import Foundation
@testable import LoomModels
import LoomMedia
import LoomTensor
import LoomTestSupport
import LoomWeights
import Testing

/// PP-OCRv4 against RapidOCR 1.4.4 (Scripts/reference/ocr_rapidocr.py, Tests/Fixtures/ocr/README.md),
/// per stage on a crop of Samples/images/seafire.jpg and end to end on the three text samples.
///
/// Tolerances: the detection probability map, the classifier's and the recognizer's probabilities
/// within 1e-4 of onnxruntime on the same input tensors; end to end, every reference box matched at
/// IoU >= 0.95 and the same text on at least 98% of lines (OpenCV's fixed-point resize and warp may
/// differ by one level from Loom's float ones); the character error rate against the typed truth no
/// worse than RapidOCR's.
struct PPOCRTests {
    struct Stages: Decodable {
        struct Line: Decodable {
            let crop: String
            let cls_output: [Float]
            let text: String
            let score: Double
        }
        struct DetNative: Decodable {
            struct Step: Decodable { let box: [[Double]]? }
            let db_trace: [Step]
        }
        let lines: [Line]
        let det_native: DetNative
    }

    struct EndToEnd: Decodable {
        struct Line: Decodable {
            let box: [[Double]]
            let text: String
            let score: Double
        }
        struct Image: Decodable { let lines: [Line] }
        let images: [String: Image]
    }

    static func model() throws -> PPOCR? {
        guard let folder = InstalledModels.file("pp-ocrv4", PPOCR.recognizerFileName)?.deletingLastPathComponent() else { return nil }
        return try PPOCR(contentsOf: folder)
    }

    static func stages() throws -> Stages {
        try JSONDecoder().decode(Stages.self, from: Data(contentsOf: Fixtures.url("ocr/stages.json")))
    }

    @Test func detectionMapOfTheCropEqualsOnnxruntime() throws {
        guard let ocr = try Self.model() else { return }
        // 320 x 160: multiples of 32, so the detector's input is the crop itself, normalized in BGR.
        let crop = try ImageDecoder().decode(contentsOf: Fixtures.url("ocr/seafire_crop.png"))
        var input = [Float](repeating: 0, count: 3 * crop.width * crop.height)
        OCRImageOperations.writeNormalizedBGR(crop, into: &input, offset: 0, rowLength: crop.width, planeHeight: crop.height)
        let map = try ocr.detector.run(Tensor(shape: [1, 3, crop.height, crop.width], data: input))
        let worst = maxAbsDiff(map.data, try Fixtures.floats("ocr/det_native_prob.f32"))
        print("detection map: max |loom - rapidocr| = \(worst) (tolerance 1e-4)")
        #expect(worst < 1e-4)
    }

    @Test func boxesFromTheReferenceMapEqualDBPostProcess() throws {
        let probabilities = try Fixtures.floats("ocr/det_native_prob.f32")
        let boxes = TextBoxExtraction().boxes(probabilities: probabilities, width: 320, height: 160, imageWidth: 320, imageHeight: 160)
        // db_trace: every contour RapidOCR looked at; those with a `box` survived, in findContours order.
        let expected = try Self.stages().det_native.db_trace.compactMap(\.box).map { TextBoxExtraction.orderedClockwise($0.map { SIMD2($0[0], $0[1]) }) }
            .filter { Int(TextBoxExtraction.length($0[0] - $0[1])) > 3 && Int(TextBoxExtraction.length($0[0] - $0[3])) > 3 }
        let key = { (box: [SIMD2<Double>]) in box.map { "\($0.x),\($0.y)" }.joined(separator: " ") }
        #expect(Set(boxes.map(key)) == Set(expected.map(key)))
    }

    @Test(arguments: [0, 1])
    func classifierAndRecognizerEqualOnnxruntime(_ line: Int) throws {
        guard let ocr = try Self.model() else { return }
        let reference = try Self.stages().lines[line]
        let cls = try #require(ocr.classifier).run(Tensor(shape: [1, 3, 48, 192], data: try Fixtures.floats("ocr/line\(line)_cls_input.f32")))
        let clsWorst = maxAbsDiff(cls.data, reference.cls_output)
        let rec = try ocr.recognizer.run(Tensor(shape: [1, 3, 48, 320], data: try Fixtures.floats("ocr/line\(line)_rec_input.f32")))
        let recWorst = maxAbsDiff(rec.data, try Fixtures.floats("ocr/line\(line)_rec_output.f32"))
        print("line \(line): classifier max diff \(clsWorst), recognizer max diff \(recWorst) (tolerance 1e-4)")
        #expect(clsWorst < 1e-4)
        #expect(recWorst < 1e-4)
        let (text, confidence) = ocr.decodeCTC(rec.data, offset: 0, steps: rec.shape[1])
        #expect(text == reference.text)
        #expect(abs(Double(confidence) - reference.score) < 1e-4)
    }

    @Test func samplesMatchRapidOCREndToEnd() throws {
        guard let ocr = try Self.model() else { return }
        let reference = try JSONDecoder().decode(EndToEnd.self, from: Data(contentsOf: Fixtures.url("ocr/end_to_end.json")))
        var lines = 0, sameText = 0
        for (name, expected) in reference.images.sorted(by: { $0.key < $1.key }) {
            let found = try ocr.read(try Self.input(name))
            for line in expected.lines {
                lines += 1
                let box = line.box.map { SIMD2($0[0], $0[1]) }
                let best = found.max { Self.iou($0.box, box) < Self.iou($1.box, box) }
                let overlap = best.map { Self.iou($0.box, box) } ?? 0
                #expect(overlap >= 0.95, "\(name): '\(line.text)' best IoU \(overlap)")
                if best?.text == line.text { sameText += 1 } else { print("\(name): '\(best?.text ?? "-")' where RapidOCR read '\(line.text)'") }
            }
            #expect(found.count == expected.lines.count, "\(name): \(found.count) lines, RapidOCR \(expected.lines.count)")
        }
        print("end to end: \(sameText) of \(lines) lines read as RapidOCR reads them (at least 98%)")
        #expect(Double(sameText) >= 0.98 * Double(lines))
    }

    /// On the samples (truth in Samples/images/README.md) and the rendered images (fonts, sizes,
    /// colours, photo backgrounds, tilted, turned 180 degrees; Tests/Fixtures/ocr/rendered/truth.json).
    @Test func characterErrorRateAgainstTheTruthIsNoWorseThanRapidOCRs() throws {
        guard let ocr = try Self.model() else { return }
        let reference = try JSONDecoder().decode(EndToEnd.self, from: Data(contentsOf: Fixtures.url("ocr/end_to_end.json")))
        var truth = try Self.truth().map { (name: $0.key, lines: $0.value, turned: false) }
        let rendered = try JSONDecoder().decode(RenderedTruth.self, from: Data(contentsOf: Fixtures.url("ocr/rendered/truth.json")))
        truth += rendered.images.map { (name: "rendered/\($0.key)", lines: $0.value.lines, turned: $0.value.turned_180) }
        for (name, lines, turned) in truth.sorted(by: { $0.name < $1.name }) where !lines.isEmpty {
            let found = try ocr.read(try Self.input(name)).map(\.text)
            let theirs = try #require(reference.images[name], "\(name) is not in end_to_end.json").lines.map(\.text)
            // An upside-down page is read (as RapidOCR reads it) last line first.
            let ours = Self.characterErrorRate(turned ? found.reversed() : found, truth: lines)
            let rapid = Self.characterErrorRate(turned ? theirs.reversed() : theirs, truth: lines)
            print("\(name): CER \(ours), RapidOCR \(rapid)")
            #expect(ours <= rapid + 1e-9, "\(name)")
        }
        // The image without text gives no lines.
        #expect(try ocr.read(try Self.input("rendered/no_text.jpg")).isEmpty)
    }

    struct RenderedTruth: Decodable {
        struct Image: Decodable { let lines: [String]; let turned_180: Bool }
        let images: [String: Image]
    }

    @Test func emptyTinyAndBlankImagesGiveNoLines() throws {
        guard let ocr = try Self.model() else { return }
        #expect(try ocr.read(RGBImage(width: 0, height: 0, pixels: [])).isEmpty)
        #expect(try ocr.read(RGBImage(width: 1, height: 1, pixels: [0, 0, 0])).isEmpty)
        #expect(try ocr.read(RGBImage(width: 3000, height: 20, pixels: [UInt8](repeating: 255, count: 3000 * 20 * 3))).isEmpty)
    }

    @Test func aFolderWithoutTheDetectorIsNamed() throws {
        let folder = try Fixtures.temporaryDirectory("ppocr")
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data([0x08, 0x07]).write(to: folder.appendingPathComponent(PPOCR.recognizerFileName))
        #expect {
            _ = try PPOCR(contentsOf: folder)
        } throws: { error in
            "\(error)".contains(PPOCR.detectorFileName)
        }
        // A detector that is not an ONNX graph: the file is named.
        try Data("not a graph".utf8).write(to: folder.appendingPathComponent(PPOCR.detectorFileName))
        #expect(throws: WeightFileError.self) { _ = try PPOCR(contentsOf: folder) }
    }

    /// An input of end_to_end.json: a sample, a size-rule input in Tests/Fixtures/ocr (a strip, a tiny
    /// crop, a 2x enlargement), or "NAME turned 180".
    static func input(_ name: String) throws -> RGBImage {
        let suffix = " turned 180"
        if name.hasSuffix(suffix) { return OCRImageOperations.rotatedHalfTurn(try input(String(name.dropLast(suffix.count)))) }
        let sample = Fixtures.sample("images/\(name)")
        return try ImageDecoder().decode(contentsOf: FileManager.default.fileExists(atPath: sample.path) ? sample : Fixtures.url("ocr/\(name)"))
    }

    // MARK: - Measures

    /// The intersection over union of two convex quadrilaterals (Sutherland-Hodgman clipping).
    static func iou(_ a: [SIMD2<Double>], _ b: [SIMD2<Double>]) -> Double {
        func area(_ p: [SIMD2<Double>]) -> Double {
            abs(p.indices.reduce(0.0) { $0 + p[$1].x * p[($1 + 1) % p.count].y - p[($1 + 1) % p.count].x * p[$1].y }) / 2
        }
        func oriented(_ p: [SIMD2<Double>]) -> [SIMD2<Double>] {
            let signed = p.indices.reduce(0.0) { $0 + p[$1].x * p[($1 + 1) % p.count].y - p[($1 + 1) % p.count].x * p[$1].y }
            return signed < 0 ? p.reversed() : p
        }
        var clipped = oriented(a)
        let clip = oriented(b)
        for i in clip.indices where !clipped.isEmpty {
            let (e0, e1) = (clip[i], clip[(i + 1) % clip.count])
            func inside(_ p: SIMD2<Double>) -> Bool { (e1.x - e0.x) * (p.y - e0.y) - (e1.y - e0.y) * (p.x - e0.x) >= 0 }
            func cut(_ p: SIMD2<Double>, _ q: SIMD2<Double>) -> SIMD2<Double> {
                let d1 = (e1.x - e0.x) * (p.y - e0.y) - (e1.y - e0.y) * (p.x - e0.x)
                let d2 = (e1.x - e0.x) * (q.y - e0.y) - (e1.y - e0.y) * (q.x - e0.x)
                return p + (q - p) * (d1 / (d1 - d2))
            }
            let input = clipped
            clipped = []
            for j in input.indices {
                let (p, q) = (input[j], input[(j + 1) % input.count])
                if inside(q) {
                    if !inside(p) { clipped.append(cut(p, q)) }
                    clipped.append(q)
                } else if inside(p) {
                    clipped.append(cut(p, q))
                }
            }
        }
        let intersection = clipped.count >= 3 ? area(clipped) : 0
        let union = area(a) + area(b) - intersection
        return union > 0 ? intersection / union : 0
    }

    /// Edit distance between the read lines and the truth lines, each joined by newlines, over the
    /// truth's length.
    static func characterErrorRate(_ read: [String], truth: [String]) -> Double {
        let a = Array(read.joined(separator: "\n")), b = Array(truth.joined(separator: "\n"))
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return Double(a.isEmpty ? b.count : previous[b.count]) / Double(max(b.count, 1))
    }

    /// The typed truth of the text samples, from the fenced blocks of Samples/images/README.md.
    static func truth() throws -> [String: [String]] {
        let readme = try String(contentsOf: Fixtures.sample("images/README.md"), encoding: .utf8)
        var truth: [String: [String]] = [:]
        var name: String?, block: [String]?
        for line in readme.components(separatedBy: "\n") {
            if line.hasPrefix("`"), let end = line.dropFirst().firstIndex(of: "`"), block == nil, line.dropFirst()[..<end].contains(".") {
                name = String(line.dropFirst()[..<end])
            } else if line == "```" {
                if let lines = block, let file = name { truth[file] = lines; block = nil; name = nil } else if block == nil { block = [] }
            } else if block != nil {
                block!.append(line)
            }
        }
        return truth
    }
}
