/// Every step kind a pipeline may `use`.
public enum StepCatalog {
    public static let kinds: [any PipelineStep.Type] = [
        DecodeStep.self, CaptionStep.self, AskStep.self, OCRStep.self, TranscribeStep.self, EmbedStep.self, IndexStep.self, WriteStep.self,
    ]

    public static func kind(named name: String) -> (any PipelineStep.Type)? {
        kinds.first { $0.kind == name }
    }
}
