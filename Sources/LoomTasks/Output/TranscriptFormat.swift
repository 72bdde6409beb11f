import Foundation

/// The files a transcript can be written as; one writer function per format, as whisper.cpp and
/// openai-whisper's utils.py have (https://github.com/openai/whisper/blob/main/whisper/utils.py).
public enum TranscriptFormat: String, CaseIterable, Sendable {
    case txt, srt, vtt, tsv, json, lrc

    /// The file's content for `transcript`; `subtitles` cuts srt and vtt cues from word timestamps.
    public func render(_ transcript: Transcript, subtitles: SubtitleOptions = SubtitleOptions()) throws -> String {
        switch self {
        case .txt: return Self.txt(transcript)
        case .srt: return Self.srt(transcript, options: subtitles)
        case .vtt: return Self.vtt(transcript, options: subtitles)
        case .tsv: return Self.tsv(transcript)
        case .json: return try Self.json(transcript)
        case .lrc: return Self.lrc(transcript)
        }
    }

    /// One line per segment, trimmed.
    static func txt(_ transcript: Transcript) -> String {
        transcript.segments.map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) + "\n" }.joined()
    }

    /// Numbered cues, `HH:MM:SS,mmm` (hours always shown).
    static func srt(_ transcript: Transcript, options: SubtitleOptions = SubtitleOptions()) -> String {
        SubtitleCues.cues(transcript, options: options).enumerated().map { index, cue in
            "\(index + 1)\n\(timestamp(cue.start, alwaysHours: true, marker: ",")) --> "
                + "\(timestamp(cue.end, alwaysHours: true, marker: ","))\n\(cue.text)\n\n"
        }.joined()
    }

    /// WebVTT: a header, then cues with `MM:SS.mmm` (hours only past the first hour).
    static func vtt(_ transcript: Transcript, options: SubtitleOptions = SubtitleOptions()) -> String {
        "WEBVTT\n\n" + SubtitleCues.cues(transcript, options: options).map { cue in
            "\(timestamp(cue.start, alwaysHours: false, marker: ".")) --> "
                + "\(timestamp(cue.end, alwaysHours: false, marker: "."))\n\(cue.text)\n\n"
        }.joined()
    }

    /// Lyrics: a `[by:loom]` header, then `[mm:ss.xx]text` per segment at its start, as whisper.cpp's
    /// `output_lrc` (examples/cli/cli.cpp) writes them: centiseconds truncated, minutes past 59 kept,
    /// the segment text as decoded (newlines made spaces, since a line is an entry).
    static func lrc(_ transcript: Transcript) -> String {
        "[by:loom]\n" + transcript.segments.map { segment in
            var ms = milliseconds(segment.start)
            let minutes = ms / 60_000
            ms -= minutes * 60_000
            let stamp = String(format: "%02d:%02d.%02d", minutes, ms / 1000, ms % 1000 / 10)
            return "[\(stamp)]" + segment.text.replacingOccurrences(of: "\n", with: " ") + "\n"
        }.joined()
    }

    /// Integer milliseconds, tab-separated, so no locale can turn a decimal point into a comma.
    static func tsv(_ transcript: Transcript) -> String {
        "start\tend\ttext\n" + transcript.segments.map { segment in
            "\(milliseconds(segment.start))\t\(milliseconds(segment.end))\t"
                + segment.text.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "\t", with: " ") + "\n"
        }.joined()
    }

    static func json(_ transcript: Transcript) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(transcript), as: UTF8.self) + "\n"
    }

    /// Python's round(): halves go to the even neighbour, so times match the reference to the millisecond.
    static func milliseconds(_ seconds: Double) -> Int {
        Int((max(0, seconds) * 1000).rounded(.toNearestOrEven))
    }

    static func timestamp(_ seconds: Double, alwaysHours: Bool, marker: String) -> String {
        var ms = milliseconds(seconds)
        let hours = ms / 3_600_000
        ms -= hours * 3_600_000
        let minutes = ms / 60_000
        ms -= minutes * 60_000
        let secs = ms / 1000
        ms -= secs * 1000
        let hourPart = alwaysHours || hours > 0 ? String(format: "%02d:", hours) : ""
        return hourPart + String(format: "%02d:%02d%@%03d", minutes, secs, marker, ms)
    }
}
