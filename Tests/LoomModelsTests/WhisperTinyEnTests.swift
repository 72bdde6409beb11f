import Foundation
import LoomFeatures
import LoomMedia
import LoomModels
import LoomTensor
import LoomTestSupport
import Testing

/// Real whisper-tiny.en (CTranslate2 fp16, read as float32) on jfk.wav against CTranslate2's encoder
/// and openai-whisper's PyTorch decoder on the same weights (Scripts/reference/dump_whisper.py).
@Suite struct WhisperTinyEnTests {
    /// Encoder output, absolute; fp16 weights are widened to f32 on both sides.
    static let encoderTolerance: Float = 1e-3
    /// Logits, absolute (values reach ~±30); they inherit the encoder's difference.
    static let logitsTolerance: Float = 2e-3

    struct Reference: Decodable {
        struct Encoder: Decodable { let rows_every: Int; let sum: Double }
        struct Logits: Decodable { let prefix: [Int]; let vocab_step: Int; let argmax: [Int] }
        let encoder: Encoder
        let prompt: [Int]
        let greedy_ids: [Int]
        let logits: Logits
    }

    static func loaded() throws -> (WhisperModel, Tensor, Reference)? {
        guard let folder = InstalledModels.folder("whisper-tiny.en") else {
            print("skip: whisper-tiny.en is not installed (loom models pull whisper-tiny.en)")
            if InstalledModels.required { Issue.record("whisper-tiny.en missing with LOOM_REQUIRE_MODELS=1") }
            return nil
        }
        let model = try WhisperModel(folder: folder)
        // whisper.audio.log_mel_spectrogram(pad_or_trim(audio)): one 30 s window of jfk.wav.
        let audio = try AudioDecoder().decode(contentsOf: Fixtures.sample("audio/jfk.wav"))
        let mel = try LogMelSpectrogram(melBins: model.config.melBins).compute(LogMelSpectrogram.padOrTrim(audio.samples))
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("whisper/tiny-en.json")))
        return (model, try model.encode(mel: mel), reference)
    }

    @Test func realModelMatchesReference() throws {
        guard let (model, encoded, reference) = try Self.loaded() else { return }
        let c = model.config
        #expect(model.layout == .ctranslate2)
        let dims: [Int] = [c.melBins, c.audioContext, c.width, c.encoderHeads, c.encoderLayers, c.vocabularySize, c.textContext, c.decoderHeads, c.decoderLayers]
        #expect(dims == [80, 1500, 384, 6, 4, 51864, 448, 6, 4])
        #expect(c.alignmentHeads.count == 8 && c.suppressTokenIDs.count == 90 && !c.isMultilingual)

        // Encoder: every 15th row of (1500, 384) against CTranslate2's encode().
        #expect(encoded.shape == [1500, 384])
        let encoderDiff = maxAbsDiff(WhisperFixtures.rows(encoded, every: reference.encoder.rows_every),
                                     try Fixtures.floats("whisper/tiny-en-encoder-rows.f32"))
        print("whisper tiny.en encoder maxdiff", encoderDiff, "tolerance", Self.encoderTolerance)
        #expect(encoderDiff <= Self.encoderTolerance)
        print("whisper tiny.en encoder sum", WhisperFixtures.sum(encoded.data), "reference", reference.encoder.sum)

        // Decoder logits for the prompt plus 8 greedy tokens, every 16th vocabulary entry.
        var state = try model.makeDecoderState(encoderOutput: encoded)
        let logits = try model.decode([reference.logits.prefix], state: &state, allPositions: true)
        let vocab = c.vocabularySize, step = reference.logits.vocab_step
        var strided: [Float] = []
        for p in 0..<reference.logits.prefix.count {
            strided += stride(from: 0, to: vocab, by: step).map { logits.data[p * vocab + $0] }
            #expect(WhisperFixtures.argmax(logits.data[(p * vocab)..<((p + 1) * vocab)]) == reference.logits.argmax[p])
        }
        let logitsDiff = maxAbsDiff(strided, try Fixtures.floats("whisper/tiny-en-logits-strided.f32"))
        print("whisper tiny.en logits maxdiff", logitsDiff, "tolerance", Self.logitsTolerance)
        #expect(logitsDiff <= Self.logitsTolerance)
    }

    /// A plain argmax loop with the KV cache, from <|startoftranscript|> <|notimestamps|> to <|endoftext|>,
    /// gives exactly the reference ids ("And so my fellow Americans ask not what your country ...").
    @Test func greedyDecodingMatchesReferenceIDs() throws {
        guard let (model, encoded, reference) = try Self.loaded() else { return }
        let endOfText = 50256
        var state = try model.makeDecoderState(encoderOutput: encoded)
        var logits = try model.decode([reference.prompt], state: &state)
        var ids: [Int] = []
        while ids.count < 100 {
            let next = WhisperFixtures.argmax(logits.data[...])
            ids.append(next)
            if next == endOfText { break }
            logits = try model.decode([[next]], state: &state)
        }
        print("whisper tiny.en greedy ids", ids)
        #expect(ids == reference.greedy_ids)
    }
}
