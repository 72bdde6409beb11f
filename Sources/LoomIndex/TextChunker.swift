import LoomCheck
import Foundation

/// Splits a document into passages of about `maxWords` words for embedding: paragraphs (blank
/// lines; Markdown headings and list items start new blocks) are kept whole where they fit, long ones
/// are cut between sentences, and a cut inside a paragraph repeats the last sentences (up to
/// `overlapWords`) at the start of the next passage, so a sentence near a cut keeps its context.
/// Short paragraphs are merged until a passage holds at least half of `maxWords`.
///
/// MiniLM reads at most 256 word pieces, about 200 English words; longer passages would be truncated.
public struct TextChunker: Sendable {
    public var maxWords: Int
    public var overlapWords: Int

    public init(maxWords: Int = 200, overlapWords: Int = 40) {
        require(maxWords > 0 && overlapWords >= 0 && overlapWords < maxWords, "chunk sizes: 0 <= overlap < max")
        self.maxWords = maxWords
        self.overlapWords = overlapWords
    }

    /// The passages of `text`, in order; whitespace inside each is collapsed to single spaces.
    public func chunks(_ text: String) -> [String] {
        var chunks: [String] = []
        var current: [[Substring]] = []  // sentences, each a list of words
        var words = 0

        func emit(overlap: Bool) {
            guard words > 0 else { return }
            chunks.append(current.map { $0.joined(separator: " ") }.joined(separator: " "))
            guard overlap else { current = []; words = 0; return }
            var kept: [[Substring]] = []
            var keptWords = 0
            for sentence in current.reversed() {
                guard keptWords + sentence.count <= overlapWords else { break }
                kept.insert(sentence, at: 0)
                keptWords += sentence.count
            }
            (current, words) = (kept, keptWords)
        }

        for paragraph in Self.paragraphs(text) {
            for sentence in Self.sentences(paragraph) {
                // A sentence longer than a whole passage is cut into word windows.
                var rest = sentence[...]
                while !rest.isEmpty {
                    if words > 0 && words + rest.count > maxWords {
                        emit(overlap: true)
                        // The overlap itself may leave no room; then start clean.
                        if words + min(rest.count, maxWords) > maxWords { current = []; words = 0 }
                    }
                    let take = Array(rest.prefix(maxWords - words))
                    current.append(take)
                    words += take.count
                    rest = rest.dropFirst(take.count)
                }
            }
            if words * 2 >= maxWords { emit(overlap: false) }
        }
        emit(overlap: false)
        return chunks
    }

    /// Blocks separated by blank lines; a Markdown heading, list item or quote line also starts a block.
    static func paragraphs(_ text: String) -> [String] {
        var blocks: [String] = []
        var lines: [Substring] = []
        func flush() {
            if !lines.isEmpty { blocks.append(lines.joined(separator: " ")) }
            lines = []
        }
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
            if trimmed.isEmpty { flush(); continue }
            if startsBlock(trimmed) { flush() }
            lines.append(trimmed)
            if trimmed.first == "#" { flush() }
        }
        flush()
        return blocks
    }

    /// A Markdown heading ("# "), quote ("> "), bullet ("- ", "* ", "+ ") or numbered item ("3. ").
    static func startsBlock(_ line: Substring) -> Bool {
        if line.hasPrefix("#") || line.hasPrefix("> ") { return true }
        if ["- ", "* ", "+ "].contains(where: { line.hasPrefix($0) }) { return true }
        let digits = line.prefix(while: \.isNumber)
        return !digits.isEmpty && digits.count <= 3 && (line.dropFirst(digits.count).hasPrefix(". ") || line.dropFirst(digits.count).hasPrefix(") "))
    }

    /// Sentences as word lists: a word ending in . ! or ? (after closing quotes or brackets) ends a
    /// sentence, except short abbreviations ("e.g.", "Dr.") and single letters.
    static func sentences(_ paragraph: String) -> [[Substring]] {
        var sentences: [[Substring]] = []
        var current: [Substring] = []
        for word in paragraph.split(whereSeparator: \.isWhitespace) {
            current.append(word)
            let core = word.reversed().drop(while: { "\"')]’”".contains($0) })
            guard let last = core.first, ".!?".contains(last) else { continue }
            if last == "." {
                let stem = String(core.dropFirst().reversed())
                if stem.count <= 1 || stem.contains(".") || Self.abbreviations.contains(stem.lowercased()) { continue }
            }
            sentences.append(current)
            current = []
        }
        if !current.isEmpty { sentences.append(current) }
        return sentences
    }

    static let abbreviations: Set<String> = ["dr", "mr", "mrs", "ms", "prof", "st", "vs", "etc", "fig", "no", "jr", "sr", "inc", "ltd"]
}
