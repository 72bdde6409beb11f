/// The model families Loom knows: each has one factory (`LoadedModel`) and one table of tensor names
/// per weight format (the `*WeightNames.swift` file of its folder).
public enum ModelFamily: String, Sendable, CaseIterable, CustomStringConvertible {
    case whisper
    case llama
    /// Idefics3 / SmolVLM vision-language models.
    case idefics3
    case clip
    case siglip
    /// A CLIP vision tower saved alone with its projection (transformers' CLIPVisionModelWithProjection).
    case clipVision = "clip-vision"
    /// A SigLIP vision tower saved alone (transformers' SiglipVisionModel), as `loom bench vision` times it.
    case siglipVision = "siglip-vision"
    /// A sentence-transformers folder around a BERT encoder (all-MiniLM-L6-v2).
    case sentenceEmbedder = "sentence-embedder"
    case sileroVAD = "silero-vad"
    /// PP-OCRv4 text detection, direction and recognition (three ONNX graphs, RapidOCR's layout).
    case ppOCR = "pp-ocr"
    /// A llama.cpp multimodal projector file (mmproj GGUF): recognised, not run yet.
    case multimodalProjector = "mmproj"

    /// The family as messages name it.
    public var description: String {
        switch self {
        case .whisper: "Whisper"
        case .llama: "Llama-family"
        case .idefics3: "Idefics3 / SmolVLM"
        case .clip: "CLIP"
        case .siglip: "SigLIP"
        case .clipVision: "CLIP vision tower"
        case .siglipVision: "SigLIP vision tower"
        case .sentenceEmbedder: "BERT sentence-embedding"
        case .sileroVAD: "Silero VAD"
        case .ppOCR: "PP-OCR"
        case .multimodalProjector: "llama.cpp multimodal projector (mmproj)"
        }
    }

    /// "a CLIP model", "an Idefics3 / SmolVLM model".
    var aModel: String {
        ("AEIOU".contains(description.prefix(1)) ? "an " : "a ") + description + " model"
    }
}

/// How a model's weights are stored.
public enum WeightFormat: String, Sendable {
    /// config.json + model.safetensors (or shards listed in model.safetensors.index.json).
    case safetensors = "Hugging Face safetensors"
    /// One .gguf file: metadata (config, tokenizer) and tensors.
    case gguf = "GGUF"
    /// A CTranslate2 model.bin (+ config.json with token lists).
    case ctranslate2 = "CTranslate2"
    /// The float initializers of an ONNX graph.
    case onnx = "ONNX"
}

/// The value in a model's own files that chooses its family.
public enum FamilyKey: Hashable, Sendable, CustomStringConvertible {
    /// config.json's `model_type`.
    case modelType(String)
    /// A GGUF file's `general.architecture`.
    case ggufArchitecture(String)
    /// An mmproj GGUF file's `clip.projector_type` (its architecture is "clip").
    case projectorType(String)
    /// A CTranslate2 model.bin's spec name.
    case ctranslate2Spec(String)
    /// A weight file known by its name (Silero VAD ships no config).
    case fileName(String)

    /// The value itself: "clip", "llama", "WhisperSpec".
    public var value: String {
        switch self {
        case .modelType(let value), .ggufArchitecture(let value), .projectorType(let value), .ctranslate2Spec(let value),
             .fileName(let value):
            value
        }
    }

    public var description: String {
        switch self {
        case .modelType(let value): "model_type \"\(value)\""
        case .ggufArchitecture(let value): "general.architecture \"\(value)\""
        case .projectorType(let value): "clip.projector_type \"\(value)\""
        case .ctranslate2Spec(let value): "CTranslate2 spec \"\(value)\""
        case .fileName(let value): "file \(value)"
        }
    }

    /// Where a file with this key sits, for messages.
    var layout: String {
        switch self {
        case .modelType: "a folder with config.json (\(self)) and model.safetensors"
        case .ggufArchitecture: "a .gguf file (\(self))"
        case .projectorType: "an mmproj .gguf file (\(self))"
        case .ctranslate2Spec(let spec): "a folder with a CTranslate2 model.bin (\(spec)) and its config.json"
        case .fileName(let name): "\(name) or a folder holding it"
        }
    }
}
