import Foundation
import Hummingbird
import LoomMedia
import LoomModels
import LoomTasks
import LoomTokenizers

extension LoomServer {
    func addAudioRoutes(to router: Router<BasicRequestContext>) {
        router.post("/v1/audio/transcriptions") { request, _ in try await self.transcribe(request, task: .transcribe) }
        router.post("/v1/audio/translations") { request, _ in try await self.transcribe(request, task: .translate) }
    }

    /// OpenAI's audio routes over `WhisperPipeline`, decoded as `loom transcribe --beam 1` decodes
    /// (greedy, the temperature fallback from `temperature` up, Silero VAD when installed, word
    /// timestamps for `timestamp_granularities[]=word`),
    /// and written by `TranscriptFormat`, the writer of the CLI's files.
    func transcribe(_ request: Request, task: WhisperTask) async throws -> Response {
        var request = request
        let form = try MultipartForm(body: Data(buffer: try await readBody(&request)), contentType: request.headers[.contentType])
        guard let file = form.part("file") else { throw APIError.badRequest("missing required field 'file' (the audio)", param: "file") }
        guard !file.data.isEmpty else { throw APIError.badRequest("the uploaded file is empty", param: "file") }
        let served = try models.model(form.field("model"), for: [.asr])
        let format = form.field("response_format") ?? "json"
        guard ["json", "text", "srt", "vtt", "verbose_json"].contains(format) else {
            throw APIError.badRequest("response_format must be json, text, srt, vtt or verbose_json, not '\(format)'", param: "response_format")
        }
        let granularities = form.fields("timestamp_granularities[]") + form.fields("timestamp_granularities")
        if let unknown = granularities.first(where: { $0 != "segment" && $0 != "word" }) {
            throw APIError.badRequest("timestamp_granularities takes segment or word, not '\(unknown)'", param: "timestamp_granularities[]")
        }
        let words = granularities.contains("word")
        if words, format != "verbose_json" {
            throw APIError.badRequest("word timestamps come in response_format verbose_json, not '\(format)'", param: "timestamp_granularities[]")
        }
        let streams = form.field("stream") == "true"
        if streams, !["json", "text"].contains(format) {
            throw APIError.badRequest("stream gives text events; it takes response_format json or text, not '\(format)'", param: "stream")
        }
        var options = WhisperTranscribeOptions()
        let temperature = try form.field("temperature").map { text in
            guard let value = Double(text), (0...1).contains(value) else {
                throw APIError.badRequest("temperature must be a number within 0...1, not '\(text)'", param: "temperature")
            }
            return value
        } ?? 0
        options.temperatures = stride(from: temperature, through: 1.0 + 1e-9, by: 0.2).map { ($0 * 10).rounded() / 10 }
        options.initialPrompt = form.field("prompt").flatMap { $0.isEmpty ? nil : $0 }
        options.decoding.task = task
        options.wordTimestamps = words
        if task == .transcribe, let language = form.field("language"), !language.isEmpty, language != "auto" {
            options.decoding.language = language
        }
        // Errors name the upload by its own file name, not by a path of this machine.
        let name = "/" + URL(fileURLWithPath: file.filename ?? "upload").lastPathComponent
        let audio = try AudioDecoder().decodeWithReport(data: file.data, name: name, targetSampleRate: 16_000).audio
        let shared = models.shared
        let decoding = options
        // As `loom transcribe` by default: silence and noise give no invented words.
        let vad = models.voiceActivity()
        if streams {
            return try streamTranscript(audio, vad: vad, options: decoding, for: request, on: served)
        }
        let start = ContinuousClock.now
        let transcript = try await whileConnected(request) {
            try await served.queue.run {
                try await shared.whisper(at: served.url, threads: self.models.threads).transcribe(audio, vad: vad, options: decoding, progress: nil)
            }
        }
        metrics.transcribed(audioSeconds: audio.duration, elapsed: ContinuousClock.now - start, model: served.id)
        switch format {
        case "text": return Self.text(try TranscriptFormat.txt.render(transcript), type: "text/plain; charset=utf-8")
        case "srt": return Self.text(try TranscriptFormat.srt.render(transcript), type: "application/x-subrip")
        case "vtt": return Self.text(try TranscriptFormat.vtt.render(transcript), type: "text/vtt")
        case "verbose_json": return try Self.verboseJSON(transcript, task: task, duration: audio.duration)
        default: return JSON.response(["text": transcript.text])
        }
    }

    /// `stream=true`, as OpenAI streams transcriptions: a `transcript.text.delta` event with each
    /// segment's text as soon as its 30-second window is decoded, then `transcript.text.done` with the
    /// whole text (what the json reply holds), then `data: [DONE]`.
    func streamTranscript(_ audio: AudioBuffer, vad: SileroVAD?, options: WhisperTranscribeOptions, for request: Request,
                          on served: ServedModel) throws -> Response {
        let shared = models.shared, threads = models.threads
        return try eventStream(for: request, on: served) { send in
            let start = ContinuousClock.now
            let whisper = try shared.whisper(at: served.url, threads: threads)
            let transcript = try await whisper.transcribe(audio, vad: vad, options: options, progress: nil) { segments in
                for segment in segments where !segment.text.isEmpty {
                    send(JSON.data(["type": "transcript.text.delta", "delta": segment.text]))
                }
            }
            self.metrics.transcribed(audioSeconds: audio.duration, elapsed: ContinuousClock.now - start, model: served.id)
            send(JSON.data(["type": "transcript.text.done", "text": transcript.text]))
            send(Data("[DONE]".utf8))
        }
    }

    static func text(_ body: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// OpenAI's `verbose_json`: the transcript's own JSON (segments with id, seek, start, end, text,
    /// tokens, temperature, avg_logprob, compression_ratio, no_speech_prob) plus task and duration,
    /// and with word timestamps OpenAI's top-level `words` (word, start, end).
    static func verboseJSON(_ transcript: Transcript, task: WhisperTask, duration: Double) throws -> Response {
        let encoded = try JSONEncoder().encode(transcript)
        guard var object = try JSONSerialization.jsonObject(with: encoded) as? [String: Any] else {
            throw APIError.server("the transcript did not encode as a JSON object")
        }
        object["task"] = task == .translate ? "translate" : "transcribe"
        object["duration"] = duration
        let words = transcript.segments.compactMap(\.words)
        if !words.isEmpty {
            object["words"] = words.joined().map { ["word": $0.word, "start": $0.start, "end": $0.end] as [String: Any] }
        }
        return JSON.response(object)
    }
}
