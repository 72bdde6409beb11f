import ArgumentParser
import Foundation
import LoomMedia
import LoomModelStore
import LoomModels
import LoomTasks
import LoomTokenizers

/// `loom transcribe`: Whisper over audio files, one output file per input and format.
struct Transcribe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Transcribe or translate audio files with Whisper.",
        discussion: """
            Writes NAME.txt/.srt/.vtt/.tsv/.json/.lrc next to each input, or under --output-dir (keeping \
            sub-folders apart). Existing outputs are kept unless --overwrite is given, so a re-run \
            finishes an interrupted batch. A file that fails is reported and the others go on.
            """)

    @Argument(help: "Audio files or folders.")
    var paths: [String]

    @Flag(name: .shortAndLong, help: "Descend into sub-folders.")
    var recursive = false

    @Option(help: "A catalog name (loom models list) or a model folder.")
    var model = "whisper-base"

    @Option(help: "Spoken language code (en, de, ...) or auto to detect it (multilingual models).")
    var language = "auto"

    @Option(help: "transcribe (same language) or translate (to English).")
    var task: WhisperTask = .transcribe

    @Option(help: "Beam size; 1 is greedy decoding.")
    var beam = 5

    @Option(help: "First sampling temperature; higher ones follow when a window's decode looks wrong (0 = no fallback past it).")
    var temperature = 0.0

    @Option(help: "Candidates sampled per window at temperatures above 0; the most probable is kept.")
    var bestOf = 5

    @Option(help: "Comma-separated output formats: txt, srt, vtt, tsv, json, lrc.")
    var format = "txt,srt"

    @Flag(help: "Time every word (cross-attention alignment): JSON gets per-segment words, srt/vtt cues follow the words.")
    var wordTimestamps = false

    @Option(help: "With --word-timestamps: characters per srt/vtt line before the words wrap.")
    var maxLineWidth: Int?

    @Option(help: "With --word-timestamps and --max-line-width: lines per srt/vtt cue.")
    var maxLineCount: Int?

    @Flag(help: "With --word-timestamps: one srt/vtt cue per word, the word underlined (<u>word</u>).")
    var highlightWords = false

    @Option(help: "Folder for the outputs (default: next to each input).")
    var outputDir: String?

    @Flag(help: "Replace outputs that already exist.")
    var overwrite = false

    @Option(help: "Skip silence with Silero VAD before decoding: on (every file, so silence and noise give empty outputs), off, or auto (on for audio over 30 s).")
    var vad: VADMode = .on

    @Option(help: "Text that comes before the audio (names, spelling) to steer the first window.")
    var initialPrompt: String?

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        let limits = WhisperTranscribeOptions.candidateLimit
        guard limits.contains(beam) else { throw ValidationError("--beam must be within \(limits.lowerBound)...\(limits.upperBound)") }
        guard limits.contains(bestOf) else { throw ValidationError("--best-of must be within \(limits.lowerBound)...\(limits.upperBound)") }
        guard temperature >= 0 && temperature <= 1 else { throw ValidationError("--temperature must be within 0...1") }
        let formats = try formats()
        let wordOptions = [("--max-line-width", maxLineWidth != nil), ("--max-line-count", maxLineCount != nil),
                           ("--highlight-words", highlightWords)].filter(\.1).map(\.0)
        if let option = wordOptions.first {
            guard wordTimestamps else { throw ValidationError("\(option) needs --word-timestamps (it cuts subtitles at word times)") }
            guard formats.contains(.srt) || formats.contains(.vtt) else {
                throw ValidationError("\(option) changes only srt and vtt files; add srt or vtt to --format (now \(format))")
            }
        }
        if let width = maxLineWidth, width < 1 { throw ValidationError("--max-line-width must be at least 1, got \(width)") }
        if let count = maxLineCount {
            guard count >= 1 else { throw ValidationError("--max-line-count must be at least 1, got \(count)") }
            guard maxLineWidth != nil else { throw ValidationError("--max-line-count needs --max-line-width (lines are cut at that width)") }
        }
    }

    /// How srt and vtt cues are cut from the words.
    var subtitleOptions: SubtitleOptions {
        SubtitleOptions(maxLineWidth: maxLineWidth, maxLineCount: maxLineCount, highlightWords: highlightWords)
    }

    func formats() throws -> [TranscriptFormat] { try formatList(format) }

    func run() throws {
        compute.apply()
        let formats = try formats()
        let inputs = try MediaWalker.files(in: paths.map { URL(fileURLWithPath: $0) }, recursive: recursive, kinds: [.audio])
        guard !inputs.isEmpty else { throw ValidationError("no audio files found in \(DisplayPath.escaping(paths.joined(separator: " ")))") }
        let plan = try OutputPlan(inputs: inputs, extensions: formats.map(\.rawValue),
                                  outputFolder: outputDir.map { URL(fileURLWithPath: $0, isDirectory: true) })

        let location = try ModelLocator().locate(model)
        let loadStart = Date()
        let pipeline = try Loom.models.whisper(at: location.url, threads: compute.threads ?? ProcessInfo.processInfo.activeProcessorCount)
        printErr(String(format: "loaded %@ in %.1f s", location.catalogName ?? location.url.path, Date().timeIntervalSince(loadStart)))

        let voiceActivity = try loadVAD()

        var options = WhisperTranscribeOptions()
        options.temperatures = stride(from: temperature, through: 1.0 + 1e-9, by: 0.2).map { ($0 * 10).rounded() / 10 }
        options.initialPrompt = initialPrompt
        options.bestOf = bestOf
        options.decoding.task = task
        options.decoding.language = language == "auto" ? nil : language
        options.decoding.beamSize = beam > 1 ? beam : nil
        options.wordTimestamps = wordTimestamps

        let writer = OutputWriter(kind: "transcribe", overwrite: overwrite, inputs: inputs)
        var tally = BatchTally(count: inputs.count)
        for (index, input) in inputs.enumerated() {
            let name = DisplayPath.of(input)
            let outputs = formats.map { ($0, plan.output(for: input, extension: $0.rawValue)!) }
            let check = writer.check(outputs.map(\.1))
            guard tally.needsWork(index, name, check) else { continue }
            let writable = outputs.filter { check.writable.contains($0.1) }
            do {
                let audio = try AudioDecoder().decode(contentsOf: input, targetSampleRate: 16_000)
                let useVAD = vad == .on || (vad == .auto && audio.duration > 30)
                let transcript = try pipeline.transcribe(audio, vad: useVAD ? voiceActivity : nil, options: options) { seconds, total in
                    printErr(String(format: "[%d/%d] %@: %.0f / %.0f s", index + 1, inputs.count, name, seconds, total))
                }
                for (format, url) in writable { try writer.write(try format.render(transcript, subtitles: subtitleOptions), to: url) }
                tally.done += 1
                print("\(name): \(transcript.text.trimmingCharacters(in: .whitespaces))")
            } catch {
                tally.fail(input, error)
            }
        }
        try tally.finish("transcribed")
    }

    /// The VAD model when it may be used; `auto` without the model installed goes on without VAD,
    /// `on` (the default) stops and says how to get it or turn it off.
    func loadVAD() throws -> SileroVAD? {
        guard vad != .off else { return nil }
        do {
            return try Loom.models.voiceActivity(at: try ModelLocator().locate("silero-vad").url)
        } catch ModelStoreError.notInstalled(let name) where vad == .auto {
            printErr("note: \(name) is not installed, so silence is not skipped (`loom models pull \(name)`)")
            return nil
        } catch ModelStoreError.notInstalled(let name) {
            throw ValidationError(
                "the voice activity model \(name) is not installed; fetch it with `loom models pull \(name)`, or transcribe without skipping silence with `--vad off`")
        }
    }
}

enum VADMode: String, ExpressibleByArgument, CaseIterable {
    case on, off, auto
}

extension WhisperTask: ExpressibleByArgument {}
