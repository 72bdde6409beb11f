/// A stretch of speech in 16 kHz audio, in samples (end exclusive) and seconds.
public struct SpeechSegment: Sendable, Equatable, CustomStringConvertible {
    public var startSample: Int
    public var endSample: Int

    public init(startSample: Int, endSample: Int) {
        self.startSample = startSample
        self.endSample = endSample
    }

    public var sampleRange: Range<Int> { startSample..<endSample }
    /// Exact seconds (the reference's `return_seconds` rounds to 0.1 s; this does not).
    public var start: Double { Double(startSample) / Double(SileroVAD.sampleRate) }
    public var end: Double { Double(endSample) / Double(SileroVAD.sampleRate) }

    public var description: String { "\(startSample)..<\(endSample)" }
}

extension SileroVAD {
    /// The parameters of the reference's `get_speech_timestamps`, with its defaults.
    public struct SegmentOptions: Sendable, Equatable {
        /// A chunk whose probability is at least this is speech (starts or continues a segment).
        public var threshold: Double = 0.5
        /// Inside speech, a chunk below this is silence; nil means max(threshold - 0.15, 0.01).
        public var negativeThreshold: Double? = nil
        /// Segments not longer than this are dropped.
        public var minSpeechDurationMs: Int = 250
        /// Longer segments are split: at the longest silence over `minSilenceAtMaxSpeechMs` inside
        /// them when there is one, else just before this length.
        public var maxSpeechDurationSeconds: Double = .infinity
        /// Silence shorter than this does not end a segment.
        public var minSilenceDurationMs: Int = 100
        /// Each segment grows by this much on each side (by half the gap when two would overlap).
        public var speechPadMs: Int = 30
        /// The shortest silence that counts as a split point for `maxSpeechDurationSeconds`.
        public var minSilenceAtMaxSpeechMs: Int = 98
        /// Split over-long segments at the longest silence (true) or at the last one (false); the
        /// reference's `use_max_poss_sil_at_max_speech`.
        public var splitAtLongestSilence: Bool = true

        public init() {}

        /// Throws `SileroVADError.invalidOption` naming the first field out of range.
        public func validate() throws {
            func fail(_ text: String) -> SileroVADError { .invalidOption(text) }
            guard threshold.isFinite, threshold >= 0, threshold <= 1 else { throw fail("threshold \(threshold) is not in 0...1") }
            if let negativeThreshold, !(negativeThreshold.isFinite && negativeThreshold >= 0 && negativeThreshold <= 1) {
                throw fail("negativeThreshold \(negativeThreshold) is not in 0...1")
            }
            guard minSpeechDurationMs >= 0 else { throw fail("minSpeechDurationMs \(minSpeechDurationMs) is negative") }
            guard maxSpeechDurationSeconds > 0, !maxSpeechDurationSeconds.isNaN else {
                throw fail("maxSpeechDurationSeconds \(maxSpeechDurationSeconds) must be above 0 (or infinity)")
            }
            guard minSilenceDurationMs >= 0 else { throw fail("minSilenceDurationMs \(minSilenceDurationMs) is negative") }
            guard speechPadMs >= 0 else { throw fail("speechPadMs \(speechPadMs) is negative") }
            guard minSilenceAtMaxSpeechMs >= 0 else { throw fail("minSilenceAtMaxSpeechMs \(minSilenceAtMaxSpeechMs) is negative") }
            // Keep sample arithmetic far from Int overflow (a day of milliseconds is plenty).
            let limit = 86_400_000
            for (name, value) in [("minSpeechDurationMs", minSpeechDurationMs), ("minSilenceDurationMs", minSilenceDurationMs),
                                  ("speechPadMs", speechPadMs), ("minSilenceAtMaxSpeechMs", minSilenceAtMaxSpeechMs)]
            where value > limit {
                throw fail("\(name) \(value) is longer than a day")
            }
        }
    }

    /// Speech segments from per-chunk probabilities (one per 512 samples) of audio `audioLength`
    /// samples long: the state machine of silero-vad 6.2.3's `get_speech_timestamps_from_probs`
    /// (utils_vad.py), branch for branch, including its padding and merging of close segments.
    public static func speechSegments(
        probabilities: [Float], audioLength: Int, options: SegmentOptions = SegmentOptions()
    ) throws -> [SpeechSegment] {
        try options.validate()
        guard audioLength >= 0 else { throw SileroVADError.invalidOption("audioLength \(audioLength) is negative") }
        let window = chunkLength
        let rate = Double(sampleRate)
        let threshold = options.threshold
        let negativeThreshold = options.negativeThreshold ?? max(threshold - 0.15, 0.01)
        let minSpeechSamples = rate * Double(options.minSpeechDurationMs) / 1000
        let padSamples = rate * Double(options.speechPadMs) / 1000
        let maxSpeechSamples = rate * options.maxSpeechDurationSeconds - Double(window) - 2 * padSamples
        let minSilenceSamples = rate * Double(options.minSilenceDurationMs) / 1000
        let minSilenceAtMaxSpeech = rate * Double(options.minSilenceAtMaxSpeechMs) / 1000

        var speeches: [SpeechSegment] = []
        var triggered = false
        var currentStart: Int? = nil  // the reference's current_speech dict: empty or {'start': ...}
        // 0 means "unset", as in the reference (a segment cannot end at sample 0).
        var tempEnd = 0, previousEnd = 0, nextStart = 0
        var possibleEnds: [(end: Int, duration: Int)] = []

        for (index, probability) in probabilities.enumerated() {
            let speech = Double(probability)
            let sample = window * index

            // Speech returns after a tentative end: remember that silence as a split point.
            if speech >= threshold && tempEnd != 0 {
                let silence = sample - tempEnd
                if Double(silence) > minSilenceAtMaxSpeech { possibleEnds.append((tempEnd, silence)) }
                tempEnd = 0
                if nextStart < previousEnd { nextStart = sample }
            }
            if speech >= threshold && !triggered {
                triggered = true
                currentStart = sample
                continue
            }
            // Maximum length reached: cut.
            if triggered, let start = currentStart, Double(sample - start) > maxSpeechSamples {
                if options.splitAtLongestSilence, var longest = possibleEnds.first {
                    for candidate in possibleEnds.dropFirst() where candidate.duration > longest.duration { longest = candidate }
                    previousEnd = longest.end
                    speeches.append(SpeechSegment(startSample: start, endSample: previousEnd))
                    currentStart = nil
                    nextStart = previousEnd + longest.duration
                    if nextStart < previousEnd + sample {
                        currentStart = nextStart
                    } else {
                        triggered = false
                    }
                    previousEnd = 0; nextStart = 0; tempEnd = 0
                    possibleEnds = []
                } else if previousEnd != 0 {
                    speeches.append(SpeechSegment(startSample: start, endSample: previousEnd))
                    currentStart = nil
                    if nextStart < previousEnd {
                        triggered = false
                    } else {
                        currentStart = nextStart
                    }
                    previousEnd = 0; nextStart = 0; tempEnd = 0
                    possibleEnds = []
                } else {
                    speeches.append(SpeechSegment(startSample: start, endSample: sample))
                    currentStart = nil
                    previousEnd = 0; nextStart = 0; tempEnd = 0
                    triggered = false
                    possibleEnds = []
                    continue
                }
            }
            // Silence inside speech.
            if speech < negativeThreshold && triggered {
                if tempEnd == 0 { tempEnd = sample }
                let silenceNow = sample - tempEnd
                if !options.splitAtLongestSilence && Double(silenceNow) > minSilenceAtMaxSpeech { previousEnd = tempEnd }
                if Double(silenceNow) < minSilenceSamples { continue }
                if let start = currentStart, Double(tempEnd - start) > minSpeechSamples {
                    speeches.append(SpeechSegment(startSample: start, endSample: tempEnd))
                }
                currentStart = nil
                previousEnd = 0; nextStart = 0; tempEnd = 0
                triggered = false
                possibleEnds = []
            }
        }
        if let start = currentStart, Double(audioLength - start) > minSpeechSamples {
            speeches.append(SpeechSegment(startSample: start, endSample: audioLength))
        }
        return padded(speeches, padSamples: padSamples, audioLength: audioLength)
    }

    /// The reference's final loop: pad every segment by `padSamples`, or split the gap in half when
    /// two segments are closer than twice that. Python's int() truncation and // floor division.
    private static func padded(_ input: [SpeechSegment], padSamples: Double, audioLength: Int) -> [SpeechSegment] {
        var speeches = input
        for i in speeches.indices {
            if i == 0 {
                speeches[i].startSample = Int(max(0, Double(speeches[i].startSample) - padSamples))
            }
            if i != speeches.count - 1 {
                let silence = speeches[i + 1].startSample - speeches[i].endSample
                if Double(silence) < 2 * padSamples {
                    let half = floorDivide(silence, 2)
                    speeches[i].endSample += half
                    speeches[i + 1].startSample = max(0, speeches[i + 1].startSample - half)
                } else {
                    speeches[i].endSample = Int(min(Double(audioLength), Double(speeches[i].endSample) + padSamples))
                    speeches[i + 1].startSample = Int(max(0, Double(speeches[i + 1].startSample) - padSamples))
                }
            } else {
                speeches[i].endSample = Int(min(Double(audioLength), Double(speeches[i].endSample) + padSamples))
            }
        }
        return speeches
    }

    private static func floorDivide(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
