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

    /// Loads a model folder: a CTranslate2 `model.bin` if present, else Hugging Face safetensors.
    /// - Throws: `WhisperError` for a folder without weights or an impossible config;
    ///   `WeightFileError` (naming tensor and file) for missing, misshapen or unused tensors.
    public convenience init(folder: URL) throws {
        let fm = FileManager.default
        let ct2 = folder.appendingPathComponent("model.bin")
        if fm.fileExists(atPath: ct2.path) {
            let model = try CTranslate2Model(url: ct2)
            guard model.specName == "WhisperSpec" else {
                throw WhisperError.unsupported(file: ct2.path, feature: "CTranslate2 spec '\(model.specName)' (expected WhisperSpec)")
            }
            let config = try WhisperCTranslate2.config(model, configFile: folder.appendingPathComponent("config.json"))
            self.init(config: config, layout: .ctranslate2, weights: try WhisperCTranslate2.weights(model, config: config))
            return
        }
        let hasSafeTensors = ["model.safetensors", "model.safetensors.index.json"]
            .contains { fm.fileExists(atPath: folder.appendingPathComponent($0).path) }
        guard hasSafeTensors else { throw WhisperError.noWeights(folder: folder.path) }
        let config = try WhisperHuggingFace.config(folder: folder)
        let source = try SafeTensorsCheckpoint(folder: folder)
        self.init(config: config, layout: .huggingFace, weights: try WhisperHuggingFace.weights(source, config: config))
    }

    init(config: WhisperConfig, layout: Layout, weights: WhisperWeights) {
        self.config = config
        self.layout = layout
        self.weights = weights
    }
}
