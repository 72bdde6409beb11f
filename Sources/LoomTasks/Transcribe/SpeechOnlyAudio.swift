import LoomMedia
import LoomModels

/// Audio cut down to its speech, and the way back to the original times: faster-whisper's VAD filter
/// (`get_speech_timestamps`, `collect_chunks`, `SpeechTimestampsMap` in faster_whisper/vad.py,
/// https://github.com/SYSTRAN/faster-whisper/blob/master/faster_whisper/vad.py). Whisper then never sees
/// long silences, where it is slow and where it invents text.
public struct SpeechOnlyAudio: Sendable {
    /// faster-whisper's `VadOptions` defaults for transcription: keep speech with 400 ms around it and
    /// bridge pauses shorter than 2 s, so sentences are not cut apart.
    public static var transcriptionOptions: SileroVAD.SegmentOptions {
        var options = SileroVAD.SegmentOptions()
        options.minSpeechDurationMs = 0
        options.minSilenceDurationMs = 2000
        options.speechPadMs = 400
        return options
    }

    public let audio: AudioBuffer
    public let segments: [SpeechSegment]
    /// Seconds of the original audio.
    public let originalDuration: Double
    /// Per kept segment: its end in the cut audio, and the silence removed before it, in samples.
    private let cutEnds: [Int]
    private let silenceBefore: [Int]

    public init(_ original: AudioBuffer, vad: SileroVAD, options: SileroVAD.SegmentOptions = transcriptionOptions) throws {
        segments = try vad.speechSegments(original, options: options)
        originalDuration = original.duration
        var samples: [Float] = []
        samples.reserveCapacity(segments.reduce(0) { $0 + $1.sampleRange.count })
        var ends: [Int] = [], silences: [Int] = []
        var previousEnd = 0, silent = 0
        for segment in segments {
            samples += original.samples[segment.sampleRange]
            silent += segment.startSample - previousEnd
            previousEnd = segment.endSample
            ends.append(segment.endSample - silent)
            silences.append(silent)
        }
        audio = AudioBuffer(sampleRate: original.sampleRate, samples: samples)
        cutEnds = ends
        silenceBefore = silences
    }

    /// The original time of `seconds` in the cut audio, rounded to 10 ms as faster-whisper does. An end
    /// time that falls exactly on a cut belongs to the segment before it.
    public func originalTime(_ seconds: Double, isEnd: Bool = false) -> Double {
        guard !cutEnds.isEmpty else { return seconds }
        return originalTime(seconds, chunk: chunkIndex(seconds, isEnd: isEnd))
    }

    /// The kept segment `seconds` of the cut audio falls in (`SpeechTimestampsMap.get_chunk_index`).
    func chunkIndex(_ seconds: Double, isEnd: Bool = false) -> Int {
        let sample = Int(seconds * Double(audio.sampleRate))
        if isEnd, let exact = cutEnds.firstIndex(of: sample) { return exact }
        return min(cutEnds.firstIndex { $0 > sample } ?? cutEnds.count, cutEnds.count - 1)  // bisect_right
    }

    /// `seconds` moved past the silence removed before kept segment `chunk`.
    func originalTime(_ seconds: Double, chunk: Int) -> Double {
        ((Double(silenceBefore[chunk]) / Double(audio.sampleRate) + seconds) * 100).rounded(.toNearestOrEven) / 100
    }

    /// `transcript` with its segment times moved back onto the original audio. Whisper may put a last
    /// timestamp past the end of the audio it heard; those ends are clamped to the file's length.
    public func restoringTimes(_ transcript: Transcript) -> Transcript {
        var restored = transcript
        restored.segments = restoringTimes(transcript.segments)
        return restored
    }

    /// Segments of the cut audio with their times on the original audio.
    public func restoringTimes(_ segments: [TranscriptSegment]) -> [TranscriptSegment] {
        segments.map { segment in
            var restored = segment
            if let words = segment.words, !words.isEmpty, !cutEnds.isEmpty {
                // faster-whisper's restore_speech_timestamps: both ends of a word move with the
                // segment its middle falls in, and the segment spans its words.
                restored.words = words.map { word in
                    let chunk = chunkIndex((word.start + word.end) / 2)
                    var moved = word
                    moved.start = originalTime(word.start, chunk: chunk)
                    moved.end = min(originalTime(word.end, chunk: chunk), originalDuration)
                    return moved
                }
                restored.start = restored.words![0].start
                restored.end = restored.words![words.count - 1].end
                return restored
            }
            restored.start = originalTime(segment.start)
            restored.end = min(originalTime(segment.end, isEnd: true), originalDuration)
            return restored
        }
    }
}
