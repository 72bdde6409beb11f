import Foundation
@testable import LoomModels
import LoomTensor
import LoomTestSupport
import LoomWeights
import Testing

/// The graph executor on PP-OCRv4's three real graphs (the rapidocr-onnxruntime 1.4.4 files that
/// `loom models pull pp-ocrv4` installs) against onnxruntime 1.32 on the CPU, on print-like inputs
/// (Scripts/reference/dump_ppocr_graphs.py). Tolerance 1e-4 on the detection probability map, the
/// direction classifier's probabilities and the recognizer's per-step character probabilities.
struct ONNXProgramTests {
    struct Reference: Decodable {
        struct Graph: Decodable { let input: [Int]; let output: [Int] }
        let graphs: [String: Graph]
    }

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("ocr-graphs/graphs.json")))
    }

    /// Each graph with the kernels' AVX2 bodies and with the portable C ones.
    @Test(arguments: ["det", "cls", "rec"], [false, true])
    func graphEqualsOnnxruntime(_ name: String, portable: Bool) throws {
        guard let url = InstalledModels.file("pp-ocrv4", "\(name).onnx") else { return }
        let bodies = FastKernels.choose(portable: portable)
        defer { bodies.end() }
        let program = try ONNXProgram(contentsOf: url)
        let shapes = try #require(try Self.reference().graphs[name])
        let input = Tensor(shape: shapes.input, data: try Fixtures.floats("ocr-graphs/\(name).input.f32"))
        let output = try program.run(input)
        #expect(output.shape == shapes.output)
        let expected = try Fixtures.floats("ocr-graphs/\(name).output.f32")
        let worst = maxAbsDiff(output.data, expected)
        print("\(name)\(portable ? " (portable kernels)" : ""): max |loom - onnxruntime| = \(worst) (tolerance 1e-4)")
        #expect(worst < 1e-4)
    }

    @Test(arguments: ["det", "cls", "rec"])
    func batchNormalizationAndElementwiseChainsAreFused(_ name: String) throws {
        guard let url = InstalledModels.file("pp-ocrv4", "\(name).onnx") else { return }
        let graph = try ONNXGraph(url: url)
        let program = try ONNXProgram(graph: graph)
        let nodes = graph.nodes.filter { $0.opType != "Constant" }
        // Every BatchNormalization straight after a Conv is folded (det has one after a ConvTranspose
        // and an Add, which stays); every Clip of PP-LCNetV3 belongs to a hard-swish, fused into its
        // Conv or into one HardSwish step.
        let convOutputs = Set(nodes.filter { $0.opType == "Conv" }.flatMap(\.outputs))
        let unfoldable = nodes.filter { $0.opType == "BatchNormalization" && !convOutputs.contains($0.inputs[0]) }.count
        #expect(program.steps.filter { $0.opType == "BatchNormalization" }.count == unfoldable)
        #expect(!program.steps.contains { $0.opType == "Clip" })
        print("\(name): \(nodes.count) operators run as \(program.stepCount) steps")
        #expect(program.stepCount * 10 < nodes.count * 6)
    }

    @Test func inputsThatDoNotFitAreNamedErrors() throws {
        guard let url = InstalledModels.file("pp-ocrv4", "det.onnx") else { return }
        let program = try ONNXProgram(contentsOf: url)
        // One channel instead of three: the first Conv says so, with the file.
        #expect {
            _ = try program.run(Tensor(zeros: [1, 1, 32, 32]))
        } throws: { error in
            "\(error)".contains(url.path) && "\(error)".contains("Conv") && "\(error)".contains("3 channels")
        }
        // A side that is not a multiple of 32: the upsampled feature maps no longer match the
        // skip connections they are added to; an error naming the operator, not a crash.
        #expect {
            _ = try program.run(Tensor(zeros: [1, 3, 40, 40]))
        } throws: { error in
            "\(error)".contains("do not broadcast")
        }
        #expect {
            _ = try program.run(["image": Tensor(zeros: [1, 3, 32, 32])])
        } throws: { error in
            "\(error)".contains("needs an input named 'x'")
        }
    }

    @Test func truncatedGraphIsRefusedAtLoad() throws {
        guard let url = InstalledModels.file("pp-ocrv4", "cls.onnx") else { return }
        let bytes = [UInt8](try Data(contentsOf: url))
        #expect(throws: WeightFileError.self) { _ = try ONNXGraph(bytes: Array(bytes.prefix(bytes.count / 2)), path: "half.onnx") }
    }
}
