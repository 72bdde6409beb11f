import Foundation
import LoomModelStore

// The one place where the real caption/ask and index implementations are plugged into pipelines.
// Wiring, once LoomTasks/Vision and LoomIndex are merged (names as their branches define them):
//
//     vision: { location in try SmolVLMCaptioner(folder: location.url) },   // conforms to VisionLanguageEngine
//     index: { file, model in try SearchIndexSink(file: file, embeddingModel: model) }  // conforms to IndexSink
//
// plus the two conformances, e.g. `extension SmolVLMCaptioner: VisionLanguageEngine {}` in this file.

extension PipelineEngines {
    /// The engines this build has: none yet for vision-language models and the search index.
    public static let standard = PipelineEngines(vision: nil, index: nil)
}
