import Foundation

/// How srt and vtt cues are cut when segments carry word timestamps: openai-whisper's
/// `SubtitlesWriter.iterate_result` options (https://github.com/openai/whisper/blob/main/whisper/utils.py).
public struct SubtitleOptions: Sendable, Equatable {
    /// Characters per line before the words wrap onto a new line.
    public var maxLineWidth: Int?
    /// Lines per cue (with `maxLineWidth`); a longer cue is cut into several.
    public var maxLineCount: Int?
    /// One cue per word, the word underlined (`<u>word</u>`) in its cue's text.
    public var highlightWords = false

    public init(maxLineWidth: Int? = nil, maxLineCount: Int? = nil, highlightWords: Bool = false) {
        self.maxLineWidth = maxLineWidth
        self.maxLineCount = maxLineCount
        self.highlightWords = highlightWords
    }
}

/// A subtitle cue: times in seconds and its text.
struct SubtitleCue: Equatable {
    var start: Double
    var end: Double
    var text: String
}

enum SubtitleCues {
    /// The cues of `transcript`: from its words when its first segment has them (as utils.py checks
    /// `"words" in result["segments"][0]`), else one cue per segment.
    static func cues(_ transcript: Transcript, options: SubtitleOptions) -> [SubtitleCue] {
        guard let first = transcript.segments.first, first.words != nil else {
            return transcript.segments.map {
                SubtitleCue(start: $0.start, end: $0.end,
                            text: $0.text.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "-->", with: "->"))
            }
        }
        var cues: [SubtitleCue] = []
        for subtitle in subtitles(transcript.segments, options: options) {
            let text = subtitle.map(\.word).joined()
            guard options.highlightWords else {
                cues.append(SubtitleCue(start: subtitle[0].start, end: subtitle[subtitle.count - 1].end, text: text))
                continue
            }
            // A cue per word, with the plain text filling any gap before it; gaps are compared as
            // the formatted times utils.py compares (milliseconds).
            var last = subtitle[0].start
            for (i, word) in subtitle.enumerated() {
                if TranscriptFormat.milliseconds(last) != TranscriptFormat.milliseconds(word.start) {
                    cues.append(SubtitleCue(start: last, end: word.start, text: text))
                }
                let highlighted = subtitle.enumerated().map { j, other in j == i ? underline(other.word) : other.word }.joined()
                cues.append(SubtitleCue(start: word.start, end: word.end, text: highlighted))
                last = word.end
            }
        }
        return cues
    }

    /// `iterate_subtitles`: words grouped into cues of lines, a new line when the next word would
    /// pass `maxLineWidth`, a new cue at `maxLineCount` lines or after a pause over 3 s; without
    /// both limits every segment stays one cue.
    static func subtitles(_ segments: [TranscriptSegment], options: SubtitleOptions) -> [[TranscriptWord]] {
        let preserveSegments = options.maxLineCount == nil || options.maxLineWidth == nil
        let maxLineWidth = options.maxLineWidth ?? 1000
        var result: [[TranscriptWord]] = []
        var subtitle: [TranscriptWord] = []
        var lineLength = 0, lineCount = 1
        var last = segments.lazy.compactMap { $0.words?.first?.start }.first ?? segments.first?.start ?? 0
        for segment in segments {
            for (i, original) in (segment.words ?? []).enumerated() {
                var timing = original
                let length = timing.word.unicodeScalars.count
                let longPause = !preserveSegments && timing.start - last > 3.0
                let hasRoom = lineLength + length <= maxLineWidth
                let segmentBreak = i == 0 && !subtitle.isEmpty && preserveSegments
                if lineLength > 0 && hasRoom && !longPause && !segmentBreak {
                    lineLength += length  // the line goes on
                } else {
                    timing.word = timing.word.trimmingPythonWhitespace()
                    if (!subtitle.isEmpty && options.maxLineCount != nil && (longPause || lineCount >= options.maxLineCount!)) || segmentBreak {
                        result.append(subtitle)  // a new cue
                        subtitle = []
                        lineCount = 1
                    } else if lineLength > 0 {
                        lineCount += 1  // a new line in this cue
                        timing.word = "\n" + timing.word
                    }
                    lineLength = timing.word.trimmingPythonWhitespace().unicodeScalars.count
                }
                subtitle.append(timing)
                last = timing.start
            }
        }
        if !subtitle.isEmpty { result.append(subtitle) }
        return result
    }

    /// utils.py's `re.sub(r"^(\s*)(.*)$", r"\1<u>\2</u>", word)`: leading whitespace stays outside.
    /// (`.` stops at a newline, so a word that starts a line keeps its "\n" outside as well.)
    static func underline(_ word: String) -> String {
        let scalars = Array(word.unicodeScalars)
        var start = 0
        while start < scalars.count && scalars[start].properties.isWhitespace { start += 1 }
        var lead = String.UnicodeScalarView(), rest = String.UnicodeScalarView()
        lead.append(contentsOf: scalars[..<start])
        rest.append(contentsOf: scalars[start...])
        return String(lead) + "<u>" + String(rest) + "</u>"
    }
}
