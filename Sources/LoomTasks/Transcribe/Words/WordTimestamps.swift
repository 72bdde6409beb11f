import Foundation
import LoomModels
import LoomTensor

/// A word of a window with its tokens and times in seconds from the window start (timing.py's `WordTiming`).
struct WordTiming: Equatable {
    var word: String
    var tokens: [Int]
    var start: Double
    var end: Double
    var probability: Double
}

/// Word timestamps for one window's segments: openai-whisper's `find_alignment`, `merge_punctuations`
/// and `add_word_timestamps` (https://github.com/openai/whisper/blob/main/whisper/timing.py), which
/// faster-whisper repeats over CTranslate2's `align` (faster_whisper/transcribe.py).
struct WordTimestamps {
    let specials: WhisperDecodingTokens
    let text: any WhisperTextDecoding
    /// Punctuation joined to the word after it / before it (timing.py's defaults).
    var prependPunctuations = "\"'“¿([{-"
    var appendPunctuations = "\"'.。,，!！?？:：”)]}、"
    /// Encoder positions per second (timing.py's TOKENS_PER_SECOND).
    static let framesPerSecond = 50.0

    /// The decoder input of the alignment pass: sot sequence, <|notimestamps|>, text, eot.
    func alignmentTokens(_ textTokens: [Int], sotSequence: [Int]) -> [Int] {
        sotSequence + [specials.noTimestamps] + textTokens + [specials.eot]
    }

    /// `find_alignment` after the decoder pass: per word, its times from the DTW path's jumps and
    /// the mean probability of its tokens (softmax over the text vocabulary, below eot).
    func alignment(_ textTokens: [Int], pass: WhisperAlignmentPass, sotLength: Int, language: String) -> [WordTiming] {
        guard !textTokens.isEmpty else { return [] }
        let rows = pass.logits.shape[0], vocabulary = pass.logits.shape[1]
        let full = WordAlignment.matrix(scores: pass.scores)  // (rows, frames)
        let frames = full.shape[1]
        // Rows of <|notimestamps|> and the text: each attends while predicting the next text token.
        let textRows = rows - sotLength - 1
        let matrix = Tensor(shape: [textRows, frames],
                            data: full.data[sotLength * frames..<(sotLength + textRows) * frames].map { -$0 })
        let path = WordAlignment.dtw(matrix)

        var probabilities: [Double] = []
        pass.logits.data.withUnsafeBufferPointer { logits in
            for (t, token) in textTokens.enumerated() {
                let row = logits.baseAddress! + (sotLength + t) * vocabulary
                let limit = min(specials.eot, vocabulary)
                var maximum = -Float.infinity
                for v in 0..<limit { maximum = max(maximum, row[v]) }
                var total = 0.0
                for v in 0..<limit { total += exp(Double(row[v] - maximum)) }
                probabilities.append(token < limit ? exp(Double(row[token] - maximum)) / total : 0)
            }
        }

        let words = WordSplitting.split(textTokens + [specials.eot], language: language, eot: specials.eot, text: text)
        guard words.count > 1 else { return [] }
        var boundaries = [0]
        for word in words.dropLast() { boundaries.append(boundaries[boundaries.count - 1] + word.tokens.count) }
        // The time of the first path step on each text row (`jumps` in timing.py).
        var jumpTimes: [Double] = []
        for (index, step) in path.enumerated() where index == 0 || step.row != path[index - 1].row {
            jumpTimes.append(Double(step.column) / Self.framesPerSecond)
        }
        return (0..<(words.count - 1)).map { w in
            let from = boundaries[w], to = boundaries[w + 1]
            let mean = to > from ? probabilities[from..<to].reduce(0, +) / Double(to - from) : .nan
            return WordTiming(word: words[w].word, tokens: words[w].tokens,
                              start: jumpTimes[min(from, jumpTimes.count - 1)], end: jumpTimes[min(to, jumpTimes.count - 1)],
                              probability: mean)
        }
    }

    /// `merge_punctuations`: opening marks join the next word, closing marks the previous one; the
    /// emptied entries stay (with no text and no tokens) so token counts still line up.
    func mergePunctuations(_ alignment: inout [WordTiming]) {
        guard alignment.count > 1 else { return }
        var i = alignment.count - 2, j = alignment.count - 1
        while i >= 0 {
            let previous = alignment[i]
            if previous.word.hasPrefix(" ") && WordSplitting.pythonContains(prependPunctuations, previous.word.trimmingPythonWhitespace()) {
                alignment[j].word = previous.word + alignment[j].word
                alignment[j].tokens = previous.tokens + alignment[j].tokens
                alignment[i].word = ""
                alignment[i].tokens = []
            } else {
                j = i
            }
            i -= 1
        }
        i = 0
        j = 1
        while j < alignment.count {
            let following = alignment[j]
            if !alignment[i].word.hasSuffix(" ") && WordSplitting.pythonContains(appendPunctuations, following.word) {
                alignment[i].word += following.word
                alignment[i].tokens += following.tokens
                alignment[j].word = ""
                alignment[j].tokens = []
            } else {
                i = j
            }
            j += 1
        }
    }

    /// `add_word_timestamps` for one window: words aligned over all its segments' text at once, long
    /// words cut at sentence ends, punctuation merged, then each segment gets its words (times
    /// rounded to 10 ms, offset by `timeOffset`) and the duration heuristics move word and segment
    /// boundaries. `pieces` hold absolute times; returns the last speech time the heuristics reached.
    func add(
        to pieces: inout [WhisperTranscriptionLoop.SegmentPiece], timeOffset: Double, lastSpeechTimestamp: Double,
        language: String, align: ([Int]) throws -> (pass: WhisperAlignmentPass, sotLength: Int)
    ) throws -> Double {
        guard !pieces.isEmpty else { return lastSpeechTimestamp }
        let textPerPiece = pieces.map { $0.tokens.filter { $0 < specials.eot } }
        let allText = Array(textPerPiece.joined())
        var alignment: [WordTiming] = []
        if !allText.isEmpty {
            let (pass, sotLength) = try align(allText)
            alignment = self.alignment(allText, pass: pass, sotLength: sotLength, language: language)
        }
        let durations = alignment.map { $0.end - $0.start }.filter { $0 != 0 }
        let medianDuration = min(0.7, Self.median(durations))
        let maxDuration = medianDuration * 2
        if !durations.isEmpty {
            let sentenceEnds = ".。!！?？"
            for i in alignment.indices.dropFirst() where alignment[i].end - alignment[i].start > maxDuration {
                if WordSplitting.pythonContains(sentenceEnds, alignment[i].word) {
                    alignment[i].end = alignment[i].start + maxDuration
                } else if WordSplitting.pythonContains(sentenceEnds, alignment[i - 1].word) {
                    alignment[i].start = alignment[i].end - maxDuration
                }
            }
        }
        mergePunctuations(&alignment)

        var lastSpeech = lastSpeechTimestamp
        var wordIndex = 0
        for p in pieces.indices {
            var saved = 0
            var words: [TranscriptWord] = []
            while wordIndex < alignment.count && saved < textPerPiece[p].count {
                let timing = alignment[wordIndex]
                if !timing.word.isEmpty {
                    words.append(TranscriptWord(
                        word: timing.word, start: Self.round2(timeOffset + timing.start),
                        end: Self.round2(timeOffset + timing.end), probability: timing.probability))
                }
                saved += timing.tokens.count
                wordIndex += 1
            }
            if !words.isEmpty {
                Self.adjustBoundaries(&words, piece: &pieces[p], lastSpeech: lastSpeech,
                                      medianDuration: medianDuration, maxDuration: maxDuration)
                lastSpeech = pieces[p].end
            }
            pieces[p].words = words
        }
        return lastSpeech
    }

    /// The "hack"s of `add_word_timestamps`: the first words after a pause may not be much longer than
    /// the median word; a segment takes its words' start and end unless a word overruns it by 0.5 s.
    static func adjustBoundaries(
        _ words: inout [TranscriptWord], piece: inout WhisperTranscriptionLoop.SegmentPiece, lastSpeech: Double,
        medianDuration: Double, maxDuration: Double
    ) {
        if words[0].end - lastSpeech > medianDuration * 4
            && (words[0].end - words[0].start > maxDuration
                || (words.count > 1 && words[1].end - words[0].start > maxDuration * 2)) {
            if words.count > 1 && words[1].end - words[1].start > maxDuration {
                let boundary = max(words[1].end / 2, words[1].end - maxDuration)
                words[0].end = boundary
                words[1].start = boundary
            }
            words[0].start = max(0, words[0].end - maxDuration)
        }
        if piece.start < words[0].end && piece.start - 0.5 > words[0].start {
            words[0].start = max(0, min(words[0].end - medianDuration, piece.start))
        } else {
            piece.start = words[0].start
        }
        let last = words.count - 1
        if piece.end > words[last].start && piece.end + 0.5 < words[last].end {
            words[last].end = max(words[last].start + medianDuration, piece.end)
        } else {
            piece.end = words[last].end
        }
    }

    /// numpy's median (mean of the two middle values for an even count); 0 for none.
    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted(), mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    /// Python's round(x, 2).
    static func round2(_ x: Double) -> Double {
        (x * 100).rounded(.toNearestOrEven) / 100
    }
}
