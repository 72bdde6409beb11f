import Foundation
import LoomCheck
import LoomTensor
import LoomWeights

/// What can go wrong running an ONNX graph on an input: the graph is fine, the input is not (a wrong
/// rank, an image too small for a kernel, a missing input name).
public typealias ONNXRunError = FileError<ONNXRunProblem>

public enum ONNXRunProblem: FileProblem {
    case missingInput(String, expected: [String])
    /// An operator cannot run on the shapes it was given.
    case operatorFailed(node: String, op: String, reason: String)

    public var message: String {
        switch self {
        case .missingInput(let name, let expected):
            return "the graph needs an input named '\(name)' (its inputs: \(expected.joined(separator: ", ")))."
        case .operatorFailed(let node, let op, let reason):
            return "\(op) node '\(node)' cannot run: \(reason). Check the input's size and layout."
        }
    }
}

/// A small executor for the ONNX operators of PP-OCRv4's detection, direction and recognition graphs
/// (opsets 11-12), with dynamic input sizes: shapes are worked out as the graph runs.
///
/// At load the graph's Constant nodes become values, every operator is checked against the supported
/// set (else an error naming it), attributes are read once, and each BatchNormalization that follows a
/// Conv is folded into that Conv's weights, and the element-wise chains after convolutions are fused
/// into them (ONNXFusion.swift). Running walks the nodes in file order (ONNX stores them
/// topologically sorted) and drops each intermediate value after its last reader.
/// Operator semantics: https://github.com/onnx/onnx/blob/v1.17.0/docs/Operators.md
public final class ONNXProgram: Sendable {
    public static let supportedOperators: Set<String> = [
        "Constant", "Identity", "Conv", "ConvTranspose", "BatchNormalization", "Relu", "Sigmoid", "HardSigmoid",
        "Clip", "Sqrt", "Add", "Sub", "Mul", "Div", "Pow", "GlobalAveragePool", "AveragePool", "MaxPool", "Resize",
        "Concat", "Reshape", "Transpose", "Slice", "Squeeze", "Shape", "Cast", "ReduceMean", "MatMul", "Softmax",
    ]

    public let path: String
    public let inputNames: [String]
    public let outputNames: [String]
    /// The graph's metadata_props (PP-OCRv4's recognizer keeps its dictionary under "character").
    public let metadata: [String: String]
    let steps: [Step]
    let constants: [String: ONNXValue]

    /// One node, compiled: its operator with attributes read, its input and output names, and the
    /// names whose last reader it is.
    struct Step: Sendable {
        let op: Operator
        let name: String
        let opType: String
        let inputs: [String]
        let outputs: [String]
        var releases: [String] = []
    }

    public convenience init(contentsOf url: URL) throws {
        try self.init(graph: ONNXGraph(url: url))
    }

    public init(graph: ONNXGraph) throws {
        try graph.requireOperators(in: Self.supportedOperators)
        path = graph.path
        inputNames = graph.inputNames.filter { !$0.isEmpty }
        outputNames = graph.outputNames
        metadata = graph.metadata
        let constantValues = try graph.constants().mapValues(ONNXValue.init)
        let opset = graph.opsets[""] ?? graph.opsets["ai.onnx"] ?? 11
        var compiled: [Step] = []
        var consumers: [String: Int] = [:]
        for node in graph.nodes { for input in node.inputs where !input.isEmpty { consumers[input, default: 0] += 1 } }
        for node in graph.nodes where node.opType != "Constant" {
            guard !node.outputs.isEmpty, !node.inputs.isEmpty else {
                throw WeightFileError(file: graph.path, .malformedHeader("\(node.opType) node '\(node.name)' has no inputs or no outputs"))
            }
            let op = try Operator(node, opset: opset, constants: constantValues, path: graph.path)
            // BatchNormalization right after a Conv that nothing else reads: fold it into the Conv.
            if case .batchNormalization(let norm) = op, let previous = compiled.last, case .conv(let conv) = previous.op,
               previous.outputs == [node.inputs[0]], consumers[node.inputs[0]] == 1, norm.scale.count == conv.outChannels {
                compiled[compiled.count - 1] = Step(
                    op: .conv(conv.folding(norm)), name: previous.name, opType: "Conv", inputs: previous.inputs,
                    outputs: node.outputs)
                continue
            }
            compiled.append(Step(op: op, name: node.name, opType: node.opType, inputs: node.inputs, outputs: node.outputs))
        }
        compiled = StepFusion.fuse(compiled, consumers: consumers, constants: constantValues)
        // The step after which each intermediate value is no longer read.
        var lastReader: [String: Int] = [:]
        for (index, step) in compiled.enumerated() { for input in step.inputs where !input.isEmpty { lastReader[input] = index } }
        for (name, index) in lastReader where constantValues[name] == nil && !graph.outputNames.contains(name) {
            compiled[index].releases.append(name)
        }
        steps = compiled
        constants = constantValues
    }

    /// How many operators run (after folding), for tests and `loom inspect`.
    public var stepCount: Int { steps.count }

    /// Runs the graph on float inputs, by input name; returns every graph output.
    public func run(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
        var values: [String: ONNXValue] = [:]
        for name in inputNames {
            guard let tensor = inputs[name] else { throw ONNXRunError(file: path, .missingInput(name, expected: inputNames)) }
            values[name] = .float(tensor)
        }
        for step in steps {
            let arguments: [ONNXValue?] = step.inputs.map { name in
                name.isEmpty ? nil : (values[name] ?? constants[name])
            }
            do {
                let results = try step.op.run(arguments)
                for (name, value) in zip(step.outputs, results) { values[name] = value }
            } catch let failure as OperatorFailure {
                throw ONNXRunError(file: path, .operatorFailed(node: step.name, op: step.opType, reason: failure.reason))
            }
            for name in step.releases { values[name] = nil }
        }
        var outputs: [String: Tensor] = [:]
        for name in outputNames {
            guard case .float(let tensor)? = values[name] else { continue }
            outputs[name] = tensor
        }
        return outputs
    }

    /// Runs a graph of one input and one output.
    public func run(_ input: Tensor) throws -> Tensor {
        guard let inputName = inputNames.first, let outputName = outputNames.first else {
            throw ONNXRunError(file: path, .missingInput("", expected: inputNames))
        }
        guard let output = try run([inputName: input])[outputName] else {
            throw ONNXRunError(file: path, .operatorFailed(node: outputName, op: "output", reason: "the graph produced no float output"))
        }
        return output
    }
}

/// Why one operator cannot run on its inputs; `ONNXProgram.run` adds the node and the file.
struct OperatorFailure: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
