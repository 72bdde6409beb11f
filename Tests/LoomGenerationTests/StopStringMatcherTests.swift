import LoomGeneration
import Testing

@Suite struct StopStringMatcherTests {
    /// Feeds pieces; returns what was shown after each piece, the stop flag, and the final text.
    func run(_ stops: [String], _ pieces: [String]) throws -> (shown: [String], stopped: Bool, text: String) {
        var matcher = try StopStringMatcher(stopStrings: stops)
        var shown: [String] = []
        for piece in pieces {
            let (text, stop) = matcher.append(piece)
            shown.append(text)
            if stop { return (shown, true, shown.joined()) }
        }
        shown.append(matcher.finish())
        return (shown, false, shown.joined())
    }

    @Test func stopStringSplitAcrossPiecesIsNeverShown() throws {
        let r = try run(["###END"], ["Hello", " wor", "ld #", "##E", "ND and more"])
        #expect(r.stopped)
        #expect(r.text == "Hello world ")
        #expect(r.shown == ["Hello", " wor", "ld ", "", ""])
        for prefixLength in 1...5 {
            let prefix = String("###END".prefix(prefixLength))
            #expect(!r.shown.contains { $0.hasSuffix(prefix) }, "a prefix \(prefix) was shown")
        }
    }

    @Test func heldTextIsReleasedWhenItCannotMatch() throws {
        let r = try run(["###END"], ["a #", "#", "x", " b"])
        #expect(!r.stopped)
        #expect(r.shown == ["a ", "", "##x", " b", ""])
        #expect(r.text == "a ##x b")
    }

    @Test func finishReleasesATrailingPartialMatch() throws {
        let r = try run(["</s>"], ["done </"])
        #expect(r.shown == ["done ", "</"])
    }

    @Test func earliestStopStringWinsAndTextBeforeItInTheSamePieceIsShown() throws {
        let r = try run(["World", "lo"], ["Hello World"])
        #expect(r.stopped)
        #expect(r.text == "Hel")
        var matcher = try StopStringMatcher(stopStrings: ["World", "lo"])
        _ = matcher.append("Hello World")
        #expect(matcher.matched == "lo")
        #expect(matcher.append("more") == ("", true))
    }

    @Test func overlappingPrefixesHoldTheLongestCandidate() throws {
        // "aab" must be found even though "aa" starts one scalar earlier than the match.
        let r = try run(["aab"], ["xa", "a", "a", "b!"])
        #expect(r.stopped)
        #expect(r.text == "xa")
    }

    @Test func matchesOnUnicodeScalarsNotGraphemes() throws {
        let r = try run(["\n"], ["line\r", "\nnext"])
        #expect(r.stopped)
        #expect(r.text == "line\r")
        let emoji = try run(["🙂!"], ["ok 🙂", "!"])
        #expect(emoji.stopped && emoji.text == "ok ")
    }

    @Test func noStopStringsPassEverythingThrough() throws {
        let r = try run([], ["a", "b"])
        #expect(r.shown == ["a", "b", ""])
    }

    @Test func emptyStopStringIsAnError() {
        #expect(throws: GenerationError.emptyStopString) { try StopStringMatcher(stopStrings: ["ok", ""]) }
    }
}
