import Foundation
import LoomWeights
import Testing

/// The ONNX graph reader (Sources/LoomWeights/ONNXGraph.swift) on hand-built models: nodes,
/// attributes, float and int64 Constant values, opsets and metadata; an unsupported operator and
/// malformed files give errors naming the file.
@Suite struct ONNXGraphTests {
    typealias P = ONNXInitializersTests
    static func text(_ s: String) -> [UInt8] { Array(s.utf8) }
    static func int64Tensor(_ values: [Int64]) -> [UInt8] {
        P.field(1, varint: UInt64(values.count)) + P.field(2, varint: 7)
            + P.field(9, bytes: values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } })
    }
    static func node(_ op: String, inputs: [String], outputs: [String], attributes: [[UInt8]] = []) -> [UInt8] {
        inputs.flatMap { P.field(1, bytes: text($0)) } + outputs.flatMap { P.field(2, bytes: text($0)) }
            + P.field(3, bytes: text(op + "_0")) + P.field(4, bytes: text(op)) + attributes.flatMap { P.field(5, bytes: $0) }
    }
    static func model(_ nodes: [[UInt8]]) -> [UInt8] {
        let graph = nodes.flatMap { P.field(1, bytes: $0) } + P.field(11, bytes: P.field(1, bytes: text("x")))
            + P.field(12, bytes: P.field(1, bytes: text("y")))
        return P.field(1, varint: 7) + P.field(7, bytes: graph)
            + P.field(8, bytes: P.field(1, bytes: []) + P.field(2, varint: 12))
            + P.field(14, bytes: P.field(1, bytes: text("character")) + P.field(2, bytes: text("a\nb")))
    }
    static let tiny = model([
        node("Constant", inputs: [], outputs: ["w"], attributes: [
            P.field(1, bytes: text("value")) + P.field(5, bytes: P.tensor("w", dims: [2], values: [0.5, -1], raw: true)),
        ]),
        node("Constant", inputs: [], outputs: ["shape"], attributes: [
            P.field(1, bytes: text("value")) + P.field(5, bytes: int64Tensor([1, -1])),
        ]),
        node("Conv", inputs: ["x", "w"], outputs: ["c"], attributes: [
            P.field(1, bytes: text("strides")) + P.field(8, bytes: P.varint(2) + P.varint(2)),
            P.field(1, bytes: text("group")) + P.field(3, varint: 4),
            P.field(1, bytes: text("alpha")) + P.varint(2 << 3 | 5) + P.floats([0.2]),
            P.field(1, bytes: text("mode")) + P.field(4, bytes: text("nearest")),
        ]),
        node("Reshape", inputs: ["c", "shape"], outputs: ["y"]),
    ])

    @Test func readsNodesAttributesConstantsAndMetadata() throws {
        let graph = try ONNXGraph(bytes: Self.tiny, path: "tiny.onnx")
        #expect(graph.nodes.map(\.opType) == ["Constant", "Constant", "Conv", "Reshape"])
        #expect(graph.inputNames == ["x"] && graph.outputNames == ["y"])
        #expect(graph.opsets == ["": 12])
        #expect(graph.metadata["character"] == "a\nb")
        let conv = graph.nodes[2]
        #expect(conv.inputs == ["x", "w"] && conv.outputs == ["c"])
        #expect(conv.attributes["strides"] == .ints([2, 2]))
        #expect(conv.attributes["group"] == .int(4))
        #expect(conv.attributes["alpha"] == .float(0.2))
        #expect(conv.attributes["mode"] == .string("nearest"))
        let constants = try graph.constants()
        guard case .float(let w)? = constants["w"] else { Issue.record("w is not a float constant"); return }
        #expect(w.shape == [2] && w.data == [0.5, -1])
        #expect(constants["shape"] == .integers(shape: [2], values: [1, -1]))
        try graph.requireOperators(in: ["Constant", "Conv", "Reshape"])
    }

    @Test func unsupportedOperatorIsNamed() throws {
        let graph = try ONNXGraph(bytes: Self.tiny, path: "/models/det.onnx")
        do {
            try graph.requireOperators(in: ["Constant", "Conv"])
            Issue.record("Reshape accepted")
        } catch {
            let message = "\(error)"
            print("onnx graph: \(message)")
            #expect(message.contains("/models/det.onnx") && message.contains("Reshape") && !message.contains("corrupt"))
        }
    }

    @Test func malformedGraphsAreNamedAndRefused() {
        let cases: [(String, [UInt8])] = [
            ("empty", []),
            ("truncated", Array(Self.tiny.prefix(Self.tiny.count - 5))),
            ("no operators", Self.model([])),
            ("constant of bad length", Self.model([Self.node("Constant", inputs: [], outputs: ["w"], attributes: [
                P.field(1, bytes: Self.text("value")) + P.field(5, bytes: P.tensor("w", dims: [3], values: [1], raw: true)),
            ])])),
        ]
        for (label, bytes) in cases {
            do {
                let graph = try ONNXGraph(bytes: bytes, path: "/models/\(label).onnx")
                _ = try graph.constants()
                Issue.record("\(label): accepted")
            } catch {
                let message = "\(error)"
                print("onnx graph \(label): \(message)")
                #expect(message.contains("/models/\(label).onnx"), "\(label): \(message)")
            }
        }
    }
}
