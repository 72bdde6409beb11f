@testable import LoomIndex
import Testing

@Suite("Text chunker")
struct TextChunkerTests {
    func words(_ text: String) -> Int { text.split(separator: " ").count }

    @Test func shortParagraphsAreMergedAndKeptWhole() {
        let chunker = TextChunker(maxWords: 20, overlapWords: 5)
        let text = "# Title\n\nOne two three.\nFour five.\n\nSix seven eight. Nine ten."
        #expect(chunker.chunks(text) == ["# Title One two three. Four five. Six seven eight. Nine ten."])
    }

    @Test func longTextIsCutBetweenSentencesWithOverlap() {
        let sentence = (1...9).map { "w\($0)" }.joined(separator: " ") + "."  // 9 words
        let text = Array(repeating: sentence, count: 5).joined(separator: " ")  // one 45-word paragraph
        let chunks = TextChunker(maxWords: 20, overlapWords: 10).chunks(text)
        #expect(chunks.allSatisfy { words($0) <= 20 })
        // 18 words (two sentences) per chunk; the next repeats the last sentence (9 <= 10 words).
        #expect(chunks.map(words) == [18, 18, 18, 18])
        #expect(chunks[1].hasPrefix(sentence))
        #expect(chunks.allSatisfy { $0.hasSuffix(".") }, "cuts fall between sentences")
    }

    @Test func sentenceLongerThanAChunkIsSplitByWords() {
        let text = (1...50).map { "w\($0)" }.joined(separator: " ")
        let chunks = TextChunker(maxWords: 20, overlapWords: 5).chunks(text)
        #expect(chunks.map(words) == [20, 20, 10])
        #expect(chunks.joined(separator: " ") == text, "no word lost or repeated without sentence ends")
    }

    @Test func abbreviationsDoNotEndSentences() {
        let sentences = TextChunker.sentences("Dr. Smith met e.g. Mr. Jones. Then they left! Did they?")
        #expect(sentences.map { $0.joined(separator: " ") } == ["Dr. Smith met e.g. Mr. Jones.", "Then they left!", "Did they?"])
    }

    @Test func markdownBlocksStartParagraphs() {
        let blocks = TextChunker.paragraphs("# Head\nintro line\n- item one\n- item two\n1. first\nplain")
        #expect(blocks == ["# Head", "intro line", "- item one", "- item two", "1. first plain"])
    }

    @Test func emptyAndBlankTextGiveNoChunks() {
        #expect(TextChunker().chunks("").isEmpty)
        #expect(TextChunker().chunks(" \n\n \t\n").isEmpty)
    }
}
