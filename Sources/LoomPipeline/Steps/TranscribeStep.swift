import Foundation
import LoomMedia
import LoomModels
import LoomTasks
import LoomTensor

/// `uses: transcribe`: Whisper over decoded audio, with the options of `loom transcribe`
/// (Sources/LoomCLI/Transcribe.swift), one shared model per run.
public struct TranscribeStep: PipelineStep {
    public static let kind = "transcribe"
    public static let summary = "Whisper speech recognition (audio -> timed transcript)"
    public static let parameters = [
        ParameterSpec("model", .model, required: true, help: "a Whisper model under models:"),
        ParameterSpec("vad_model", .model, help: "a Silero VAD model under models:, to skip silence"),
        ParameterSpec("vad", .choice(["on", "off", "auto"]), default: .string("auto"), help: "auto: VAD for audio over 30 s when vad_model is given"),
        ParameterSpec("language", .string, default: .string("auto"), help: "language code, or auto to detect it"),
        ParameterSpec("task", .choice(["transcribe", "translate"]), default: .string("transcribe"), help: "translate: to English"),
        ParameterSpec("beam", .integer(WhisperTranscribeOptions.candidateLimit), default: .integer(5), help: "beam size; 1 is greedy"),
        ParameterSpec("temperature", .number(0...1), default: .number(0), help: "first sampling temperature of the fallback ladder"),
        ParameterSpec("initial_prompt", .string, help: "text that steers the first window (names, spelling)"),
    ]
    public static let accepts: Set<ArtifactKind> = [.media]
    public static let produces = ArtifactKind.transcript
    public static let mediaKinds: Set<MediaKind>? = [.audio]

    public static func check(_ parameters: StepParameters, sources: [ArtifactKind]) -> [(String?, String)] {
        if parameters["vad"]?.string == "on" && parameters["vad_model"] == nil {
            return [("vad", "vad: on needs vad_model (a Silero VAD model under models:)")]
        }
        return []
    }

    let whisper: ResolvedModel
    let vadModel: ResolvedModel?
    let vadMode: String
    let options: WhisperTranscribeOptions
    let models: PipelineModels
    /// Held while transcribing. The shared model serves concurrent callers, but one transcription
    /// already keeps every compute thread busy: a second at once would only split the cores (and take
    /// ComputeThreads' slower Dispatch path), so other workers decode the next files meanwhile.
    let oneAtATime = NSLock()

    public init(_ setup: StepSetup) throws {
        whisper = setup.models["model"]!
        vadModel = setup.models["vad_model"]
        vadMode = setup.parameters["vad"]?.string ?? "auto"
        models = setup.pipelineModels
        var options = WhisperTranscribeOptions()
        let temperature = setup.parameters["temperature"]?.number ?? 0
        options.temperatures = stride(from: temperature, through: 1.0 + 1e-9, by: 0.2).map { ($0 * 10).rounded() / 10 }
        options.initialPrompt = setup.parameters["initial_prompt"]?.string
        options.decoding.task = setup.parameters["task"]?.string == "translate" ? .translate : .transcribe
        let language = setup.parameters["language"]?.string ?? "auto"
        options.decoding.language = language == "auto" ? nil : language
        let beam = setup.parameters["beam"]?.integer ?? 5
        options.decoding.beamSize = beam > 1 ? beam : nil
        self.options = options
    }

    public func run(_ item: PipelineItem, inputs: [StepInput]) throws -> Artifact? {
        guard let audio = inputs.lazy.compactMap({ input -> AudioBuffer? in
            if case .media(.audio(let buffer)) = input.artifact { return buffer }
            return nil
        }).first else { return nil }
        let model = try models.whisper(whisper)
        var vad: SileroVAD?
        if let vadModel, vadMode == "on" || (vadMode == "auto" && audio.duration > 30) {
            vad = try models.voiceActivity(vadModel)
        }
        oneAtATime.lock()
        defer { oneAtATime.unlock() }
        return .transcript(try model.transcribe(audio, vad: vad, options: options))
    }
}
