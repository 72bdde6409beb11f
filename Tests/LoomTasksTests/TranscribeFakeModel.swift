import LoomTasks
import LoomTensor

/// What a fake window's decoder says: the tokens it wants to emit (then `eot`), how strongly, and the
/// `<|nospeech|>` logit.
struct FakeWindow {
    var tokens: [Int]
    var boost: Float
    var noSpeechLogit: Float
}

/// Records what the loop asked of the fake model.
final class FakeModelLog {
    var encodedStarts: [Int] = []
    var initialTokens: [[Int]] = []
    var batches: [Int] = []
}

/// A deterministic `WhisperModelRunning`: the encoder reads the window's start frame from the
/// spectrogram (the test writes each column's frame index into mel bin 0), and the decoder returns
/// logits of -5 everywhere except the next scripted token of that window (`boost`), the no-speech token
/// (`noSpeechLogit`) and, after a lone `<|startoftranscript|>`, `languageBoost` on one language token.
struct FakeWhisperModel: WhisperModelRunning {
    let specials: WhisperDecodingTokens
    let nVocab: Int
    let nTextCtx = 448
    let windows: [Int: FakeWindow]
    var language: (token: Int, boost: Float)?
    let log = FakeModelLog()

    func encode(mel window: Tensor) throws -> Int {
        precondition(window.shape == [80, 3000], "the loop passes (80, 3000) windows")
        log.encodedStarts.append(Int(window.data[0].rounded()))
        return Int(window.data[0].rounded())
    }

    func startDecoding(_ audio: Int, batch: Int) throws -> Session {
        log.batches.append(batch)
        return Session(model: self, window: windows[audio] ?? FakeWindow(tokens: [], boost: 10, noSpeechLogit: -5), batch: batch)
    }

    struct Session: WhisperDecoderSession {
        let model: FakeWhisperModel
        let window: FakeWindow
        var sequences: [[Int]]
        var sampleBegin = 0

        init(model: FakeWhisperModel, window: FakeWindow, batch: Int) {
            self.model = model
            self.window = window
            sequences = Array(repeating: [], count: batch)
        }

        mutating func logits(for newTokens: [[Int]], at positions: [Int]) throws -> [[[Float]]] {
            if sampleBegin == 0 {
                sampleBegin = newTokens[0].count
                model.log.initialTokens.append(newTokens[0])
            }
            var result: [[[Float]]] = []
            for (k, tokens) in newTokens.enumerated() {
                let before = sequences[k].count
                sequences[k] += tokens
                result.append(positions.map { row(context: Array(sequences[k][...(before + $0)])) })
            }
            return result
        }

        mutating func reorder(_ sourceIndices: [Int]) throws {
            sequences = sourceIndices.map { sequences[$0] }
        }

        private func row(context: [Int]) -> [Float] {
            var logits = [Float](repeating: -5, count: model.nVocab)
            if let noSpeech = model.specials.noSpeech, noSpeech < model.nVocab { logits[noSpeech] = window.noSpeechLogit }
            if context == [model.specials.sot], let language = model.language {
                logits[language.token] = language.boost
                return logits
            }
            let sampled = context.count - sampleBegin
            guard sampled >= 0 else { return logits }
            let target = sampled < window.tokens.count ? window.tokens[sampled] : model.specials.eot
            if target < model.nVocab { logits[target] = window.boost }
            return logits
        }
    }
}

/// Token ids as " w<id>" words.
struct WordPerTokenText: WhisperTextDecoding {
    func decode(_ ids: [Int]) -> String { ids.map { " w\($0)" }.joined() }
    func encode(_ text: String) -> [Int] {
        text.split(separator: " ").compactMap { Int($0.dropFirst()) }
    }
}
