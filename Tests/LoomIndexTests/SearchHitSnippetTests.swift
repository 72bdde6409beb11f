@testable import LoomIndex
import Testing

@Suite("Search hit snippets")
struct SearchHitSnippetTests {
    static func hit(_ text: String?) -> SearchHit {
        SearchHit(itemId: 1, path: "/a.txt", modality: .text, score: 1, match: "chunk", start: nil, end: nil, text: text, model: "m")
    }

    @Test("one line, white space runs as one space, cut after the limit with ...")
    func snippet() {
        #expect(Self.hit("a\n\n b\tc").snippet(limit: 10) == "a b c")
        #expect(Self.hit("one two three").snippet(limit: 7) == "one two...")
        #expect(Self.hit("exactly").snippet(limit: 7) == "exactly")
        #expect(Self.hit(nil).snippet(limit: 7) == nil)
    }
}
