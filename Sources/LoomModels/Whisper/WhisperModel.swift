import Foundation
import LoomTensor
import LoomWeights

/// OpenAI Whisper (encoder-decoder speech recognition), following
/// https://github.com/openai/whisper/blob/main/whisper/model.py.
///
/// Immutable after loading, so one instance serves every thread and file; per-run state (the decoder's
/// KV caches and the cross-attention keys/values of one audio window) lives in `WhisperDecoderState`.
///
///     let model = try WhisperModel(folder: url)            // CTranslate2 or Hugging Face layout
///     let audio = try model.encode(mel: mel)               // (n_mels, 3000) -> (1500, width)
///     var state = try model.makeDecoderState(encoderOutput: audio)
///     var logits = try model.decode([[sot, noTimestamps]], state: &state)   // (1, 1, vocab)
///     logits = try model.decode([[next]], state: &state)   // one token per step, cache reused
public final class WhisperModel: Sendable {
    /// Where the weights came from.
    public enum Layout: String, Sendable {
        /// faster-whisper's model.bin + config.json.
        case ctranslate2
        /// transformers' config.json + model.safetensors.
        case huggingFace
    }

    public let config: WhisperConfig
    public let layout: Layout
    let weights: WhisperWeights

    /// Loads a model folder: a CTranslate2 `model.bin` if present, else Hugging Face safetensors
    /// (`ModelRegistry` decides).
    /// - Throws: `ModelRegistryError` for a folder that holds no Whisper model; `WhisperError` for an
    ///   impossible config; `WeightFileError` (naming tensor and file) for missing, misshapen or unused tensors.
    public convenience init(folder: URL) throws {
        try self.init(ModelRegistry.describe(folder, as: .whisper))
    }

    /// Loads a Whisper model the registry described.
    public convenience init(_ model: ModelDescription) throws {
        let model = try model.requiring(.whisper)
        switch model.contents {
        case .ctranslate2(let file):
            let config = try WhisperCTranslate2.config(file, configFile: model.folder.appendingPathComponent("config.json"))
            self.init(config: config, layout: .ctranslate2, weights: try WhisperCTranslate2.weights(file, config: config))
        case .configJSON(let json):
            let config = try WhisperHuggingFace.config(json: json, url: model.keyFile, folder: model.folder)
            self.init(config: config, layout: .huggingFace, weights: try WhisperHuggingFace.weights(try model.weights(), config: config))
        default:
            throw model.unexpectedFormat()
        }
    }

    init(config: WhisperConfig, layout: Layout, weights: WhisperWeights) {
        self.config = config
        self.layout = layout
        self.weights = weights
    }
}
