extension WhisperTranscriptionLoop {
    /// One segment cut from a window's tokens, times relative to the window start.
    struct SegmentPiece: Equatable {
        var start: Double
        var end: Double
        var tokens: [Int]
        /// Filled in by `WordTimestamps` when word timestamps are asked for.
        var words: [TranscriptWord]? = nil
    }

    /// The per-window segment logic of whisper's `transcribe()`
    /// (https://github.com/openai/whisper/blob/main/whisper/transcribe.py): split after every pair of
    /// consecutive timestamps; when the tokens end with a single timestamp the window is done, else the
    /// unfinished tail is dropped and the next window starts at the last timestamp. Without pairs the
    /// whole window is one segment, ending at its last timestamp when there is one.
    /// - Returns: the segments and how far to seek (nil: the whole window).
    static func splitSegments(_ tokens: [Int], timestampBegin: Int, segmentDuration: Double)
        -> (pieces: [SegmentPiece], seekAdvance: Int?)
    {
        let isTimestamp = tokens.map { $0 >= timestampBegin }
        let n = tokens.count
        let singleTimestampEnding = n >= 2 && !isTimestamp[n - 2] && isTimestamp[n - 1]
        var slices = n < 2 ? [] : (0..<(n - 1)).filter { isTimestamp[$0] && isTimestamp[$0 + 1] }.map { $0 + 1 }

        guard !slices.isEmpty else {
            var duration = segmentDuration
            if let last = tokens.last(where: { $0 >= timestampBegin }), last != timestampBegin {
                duration = Double(last - timestampBegin) * timePrecision
            }
            return ([SegmentPiece(start: 0, end: duration, tokens: tokens)], nil)
        }
        if singleTimestampEnding { slices.append(n) }
        var pieces: [SegmentPiece] = []
        var lastSlice = 0
        for current in slices {
            let sliced = Array(tokens[lastSlice..<current])
            pieces.append(SegmentPiece(
                start: Double(sliced[0] - timestampBegin) * timePrecision,
                end: Double(sliced[sliced.count - 1] - timestampBegin) * timePrecision,
                tokens: sliced))
            lastSlice = current
        }
        if singleTimestampEnding { return (pieces, nil) }
        return (pieces, (tokens[lastSlice - 1] - timestampBegin) * inputStride)
    }
}
