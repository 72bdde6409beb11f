import Foundation
import LoomFeatures
import LoomMedia
import LoomModels
import LoomTokenizers

/// A Whisper model folder (CTranslate2 or Hugging Face layout, with tokenizer.json) ready to
/// transcribe files: the model, its tokenizer and the log-mel front end, loaded once for a batch.
public final class WhisperPipeline {
    public let model: WhisperModel
    public let tokenizer: Tokenizer
    public let tokens: WhisperDecodingTokens
    let transcriber: WhisperTranscriber<WhisperModel>
    let melSpectrogram: LogMelSpectrogram
    let decoder = AudioDecoder()

    public init(folder: URL, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        model = try WhisperModel(folder: folder)
        let tokenizerFile = folder.appendingPathComponent("tokenizer.json")
        tokenizer = try Tokenizer.load(tokenizerJSON: tokenizerFile)
        tokens = try WhisperDecodingTokens(WhisperSpecialTokens(tokenizer: tokenizer), tokenizer: tokenizer)
        melSpectrogram = try LogMelSpectrogram(melBins: model.config.melBins, threads: threads)
        let decoding = WhisperDecoding(
            model: model, specials: tokens, text: WhisperTokenizerText(tokenizer: tokenizer),
            compressionRatio: try ZlibCompressionRatio().ratio)
        transcriber = WhisperTranscriber(decoding: decoding)
    }

    /// Decodes `url` (any format LoomMedia reads, resampled to 16 kHz) and transcribes it.
    /// - Parameter progress: (seconds done, seconds of audio) after each 30-second window.
    public func transcribe(
        contentsOf url: URL, vad: SileroVAD? = nil, options: WhisperTranscribeOptions = WhisperTranscribeOptions(),
        progress: ((Double, Double) -> Void)? = nil
    ) throws -> Transcript {
        let audio = try decoder.decode(contentsOf: url, targetSampleRate: LogMelSpectrogram.sampleRate)
        return try transcribe(audio, vad: vad, options: options, progress: progress)
    }

    /// With `vad`, only the speech it finds is decoded (faster-whisper's `vad_filter`) and segment
    /// times are mapped back onto the original audio.
    public func transcribe(
        _ audio: AudioBuffer, vad: SileroVAD? = nil, options: WhisperTranscribeOptions = WhisperTranscribeOptions(),
        progress: ((Double, Double) -> Void)? = nil
    ) throws -> Transcript {
        guard let vad else { return try transcribeAll(audio, options: options, progress: progress) }
        let speech = try SpeechOnlyAudio(audio, vad: vad)
        guard !speech.segments.isEmpty else {
            return Transcript(text: "", segments: [], language: options.decoding.language ?? "en")
        }
        return speech.restoringTimes(try transcribeAll(speech.audio, options: options, progress: progress))
    }

    private func transcribeAll(
        _ audio: AudioBuffer, options: WhisperTranscribeOptions, progress: ((Double, Double) -> Void)?
    ) throws -> Transcript {
        let framesPerSecond = Double(LogMelSpectrogram.sampleRate / LogMelSpectrogram.hopLength)
        return try transcriber.transcribe(audio: audio, melSpectrogram: melSpectrogram, options: options) { done, total in
            progress?(Double(done) / framesPerSecond, Double(total) / framesPerSecond)
        }
    }
}

/// The tokenizer as the decoding loop needs it: plain BPE both ways, specials rendered as text.
struct WhisperTokenizerText: WhisperTextDecoding {
    let tokenizer: Tokenizer

    func decode(_ ids: [Int]) -> String {
        (try? tokenizer.decode(ids, skipSpecialTokens: false)) ?? ""
    }

    func encode(_ text: String) -> [Int] {
        tokenizer.encode(text, addSpecialTokens: false)
    }
}

extension WhisperDecodingTokens {
    /// The ids the loop needs, from the tokenizer's Whisper special tokens.
    public init(_ specials: WhisperSpecialTokens, tokenizer: Tokenizer) throws {
        self.init(
            sot: specials.startOfTranscript, eot: specials.endOfText, transcribe: specials.transcribe,
            translate: specials.translate, noTimestamps: specials.noTimestamps, noSpeech: specials.noSpeech,
            sotPrev: specials.startOfPrevious, sotLM: specials.startOfLM, timestampBegin: specials.timestampBegin,
            multilingual: specials.isMultilingual, languageTokens: specials.languageIDs,
            nonSpeechTokens: specials.nonSpeechTokens, blankTokens: tokenizer.encode(" ", addSpecialTokens: false))
    }
}
