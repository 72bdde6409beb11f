import LoomTensor

/// Load-time fusion of the element-wise chains that follow PP-OCRv4's convolutions (PP-LCNetV3's
/// "learnable affine blocks" and hard-swish), so each convolution's output is written once instead
/// of once per operator:
///
///     Conv -> Mul(c) -> Add(c)                      folded into the weights and bias
///     -> hard-swish (Add 3, Clip 0..6, Mul, Div 6)  applied as the output is written
///        or Relu or HardSigmoid
///     -> Mul(c) -> Add(c)                           a scalar affine applied in the same pass
///
/// A hard-swish chain elsewhere becomes one unary operator. A step joins a chain only when its
/// input is read by nothing else (hard-swish's input by exactly its Add and Mul) and its other
/// operand is a stored constant of one value (or one per channel, for what is folded into weights).
/// The results are those of the unfused operators up to float rounding.
enum StepFusion {
    typealias Step = ONNXProgram.Step

    static func fuse(_ steps: [Step], consumers: [String: Int], constants: [String: ONNXValue]) -> [Step] {
        var fused: [Step] = []
        var index = 0
        func scalar(_ name: String) -> Float? {
            guard case .float(let t)? = constants[name], t.count == 1 else { return nil }
            return t.data[0]
        }
        /// The constant operand of a binary step whose other operand is `input`, if it is one.
        func constantOperand(_ step: Step, of input: String) -> String? {
            guard step.inputs.count == 2, step.inputs.contains(input) else { return nil }
            let other = step.inputs[0] == input ? step.inputs[1] : step.inputs[0]
            return constants[other] == nil ? nil : other
        }
        func isBinary(_ step: Step, _ kind: BinaryKind) -> Bool {
            if case .binary(let k) = step.op { return k == kind }
            return false
        }
        /// The hard-swish chain starting at `steps[at]` over `input`: its length and output name.
        func hardSwish(at start: Int, over input: String) -> (length: Int, output: String)? {
            guard start + 3 < steps.count, consumers[input] == 2 else { return nil }
            let (add, clip, mul, div) = (steps[start], steps[start + 1], steps[start + 2], steps[start + 3])
            guard isBinary(add, .add), let three = constantOperand(add, of: input), scalar(three) == 3,
                  case .clip(let low, let high) = clip.op, clip.inputs.first == add.outputs[0], consumers[add.outputs[0]] == 1,
                  (clip.inputs.count > 1 ? scalar(clip.inputs[1]) : low) == 0, (clip.inputs.count > 2 ? scalar(clip.inputs[2]) : high) == 6,
                  isBinary(mul, .multiply), Set(mul.inputs) == [input, clip.outputs[0]], consumers[clip.outputs[0]] == 1,
                  isBinary(div, .divide), div.inputs.first == mul.outputs[0], consumers[mul.outputs[0]] == 1,
                  div.inputs.count == 2, scalar(div.inputs[1]) == 6 else { return nil }
            return (4, div.outputs[0])
        }
        /// A scalar Mul then Add over `input` (either may be missing): (scale, shift, steps, output).
        func scalarAffine(at start: Int, over input: String) -> (scale: Float, shift: Float, length: Int, output: String) {
            var (scale, shift, length, output): (Float, Float, Int, String) = (1, 0, 0, input)
            if start < steps.count, isBinary(steps[start], .multiply), consumers[output] == 1,
               let c = constantOperand(steps[start], of: output), let value = scalar(c) {
                scale = value
                output = steps[start].outputs[0]
                length += 1
            }
            if start + length < steps.count, isBinary(steps[start + length], .add), consumers[output] == 1,
               let c = constantOperand(steps[start + length], of: output), let value = scalar(c) {
                shift = value
                output = steps[start + length].outputs[0]
                length += 1
            }
            return (scale, shift, length, output)
        }

        while index < steps.count {
            let step = steps[index]
            if case .conv(var conv) = step.op {
                var output = step.outputs[0]
                var next = index + 1
                // Mul/Add by constants straight after the convolution: into the weights.
                let affine = scalarAffine(at: next, over: output)
                if affine.length > 0 {
                    conv = conv.folding(ChannelAffine(
                        scale: [Float](repeating: affine.scale, count: conv.outChannels),
                        shift: [Float](repeating: affine.shift, count: conv.outChannels)))
                    (output, next) = (affine.output, next + affine.length)
                }
                // Then an activation, and a scalar affine after it.
                if let chain = hardSwish(at: next, over: output) {
                    conv.activation = .hardSwish
                    (output, next) = (chain.output, next + chain.length)
                } else if next < steps.count, steps[next].inputs.first == output, consumers[output] == 1,
                          case .unary(let kind) = steps[next].op, let activation = ConvActivation(kind) {
                    conv.activation = activation
                    (output, next) = (steps[next].outputs[0], next + 1)
                }
                if conv.activation != .identity {
                    let after = scalarAffine(at: next, over: output)
                    (conv.outputScale, conv.outputShift) = (after.scale, after.shift)
                    (output, next) = (after.output, next + after.length)
                }
                fused.append(Step(op: .conv(conv), name: step.name, opType: "Conv", inputs: step.inputs, outputs: [output]))
                index = next
                continue
            }
            if isBinary(step, .add), let input = step.inputs.first, let chain = hardSwish(at: index, over: input) {
                fused.append(Step(op: .unary(.hardSwish), name: step.name, opType: "HardSwish", inputs: [input], outputs: [chain.output]))
                index += chain.length
                continue
            }
            fused.append(step)
            index += 1
        }
        return fused
    }
}

/// What a fused convolution applies to each output value before its scalar affine.
enum ConvActivation: Sendable, Equatable {
    case identity, relu, hardSwish
    case hardSigmoid(alpha: Float, beta: Float)

    init?(_ kind: UnaryKind) {
        switch kind {
        case .relu: self = .relu
        case .hardSwish: self = .hardSwish
        case .hardSigmoid(let alpha, let beta): self = .hardSigmoid(alpha: alpha, beta: beta)
        default: return nil
        }
    }

    /// y = activation(x) * scale + shift over `count` values in place.
    func apply(_ values: UnsafeMutablePointer<Float>, count: Int, scale: Float, shift: Float) {
        switch self {
        case .identity: for i in 0..<count { values[i] = values[i] * scale + shift }
        case .relu: for i in 0..<count { values[i] = max(values[i], 0) * scale + shift }
        case .hardSwish:
            // As the graph computes it: x * clip(x + 3, 0, 6) / 6.
            for i in 0..<count { let x = values[i]; values[i] = (x * min(max(x + 3, 0), 6) / 6) * scale + shift }
        case .hardSigmoid(let alpha, let beta):
            for i in 0..<count { values[i] = min(max(alpha * values[i] + beta, 0), 1) * scale + shift }
        }
    }
}
