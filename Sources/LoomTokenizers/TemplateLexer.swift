/// Cuts a Jinja2 template into text and tags, applying whitespace control the way transformers
/// configures Jinja for chat templates (`trim_blocks=True, lstrip_blocks=True`,
/// transformers/utils/chat_template_utils.py `_compile_jinja_template`), plus `-` markers.
struct TemplateLexer {
    enum Segment: Equatable {
        case text(String)
        /// `{{ ... }}`
        case output([ExprToken], source: String)
        /// `{% ... %}`
        case statement([ExprToken], source: String)
    }

    enum ExprToken: Equatable {
        case name(String)
        case string(String)
        case int(Int)
        case double(Double)
        case symbol(String)
    }

    private enum Kind { case output, statement, comment }

    private struct RawTag {
        let kind: Kind
        let body: String
        let stripBefore: Bool
        let stripAfter: Bool
        /// `{%+`: lstrip_blocks does not apply.
        let keepBefore: Bool
    }

    static func segments(_ source: String) throws -> [Segment] {
        let chars = Array(source)
        var texts: [String] = []
        var tags: [RawTag] = []
        var current = ""
        var i = 0
        while i < chars.count {
            if chars[i] == "{", i + 1 < chars.count, "{%#".contains(chars[i + 1]) {
                let kind: Kind = chars[i + 1] == "{" ? .output : chars[i + 1] == "%" ? .statement : .comment
                let closer: [Character] = kind == .output ? ["}", "}"] : kind == .statement ? ["%", "}"] : ["#", "}"]
                var j = i + 2
                let stripBefore = j < chars.count && chars[j] == "-"
                let keepBefore = j < chars.count && chars[j] == "+"
                if stripBefore || keepBefore { j += 1 }
                let bodyStart = j
                var found = -1
                var quote: Character? = nil
                while j + 1 < chars.count {
                    let c = chars[j]
                    if kind != .comment, let q = quote {
                        if c == "\\" { j += 2; continue }
                        if c == q { quote = nil }
                    } else if kind != .comment && (c == "'" || c == "\"") {
                        quote = c
                    } else if c == closer[0] && chars[j + 1] == closer[1] {
                        found = j
                        break
                    }
                    j += 1
                }
                guard found >= 0 else {
                    let opening = String(chars[i..<min(chars.count, i + 40)])
                    throw TokenizerError(.template, source: "chat template", "unclosed tag starting '\(opening)'")
                }
                var bodyEnd = found
                let stripAfter = bodyEnd > bodyStart && chars[bodyEnd - 1] == "-"
                if stripAfter { bodyEnd -= 1 }
                texts.append(current)
                current = ""
                tags.append(RawTag(kind: kind, body: String(chars[bodyStart..<max(bodyStart, bodyEnd)]),
                                   stripBefore: stripBefore, stripAfter: stripAfter, keepBefore: keepBefore))
                i = found + 2
            } else {
                current.append(chars[i])
                i += 1
            }
        }
        texts.append(current)

        // Whitespace control on the text between tags.
        for index in texts.indices {
            let original = texts[index]
            var text = original
            if index > 0 {
                let before = tags[index - 1]
                if before.stripAfter {
                    text = String(text.drop(while: { $0.isWhitespace }))
                } else if before.kind != .output {
                    if text.hasPrefix("\r\n") { text.removeFirst(1) }  // "\r\n" is one Character
                    else if text.hasPrefix("\n") { text.removeFirst() }
                }
            }
            if index < tags.count {
                let after = tags[index]
                if after.stripBefore {
                    while let last = text.last, last.isWhitespace { text.removeLast() }
                } else if after.kind != .output && !after.keepBefore {
                    // lstrip_blocks: spaces and tabs between a line start and a block tag go.
                    // Judged on the source text, before trim_blocks took a leading newline.
                    let tail = original.reversed().prefix(while: { $0 == " " || $0 == "\t" }).count
                    let previous = original.dropLast(tail).last
                    let atLineStart = previous.map { $0 == "\n" || $0 == "\r\n" || $0 == "\r" } ?? (index == 0)
                    if atLineStart { text.removeLast(min(tail, text.count)) }
                }
            }
            texts[index] = text
        }

        var segments: [Segment] = []
        for index in texts.indices {
            if !texts[index].isEmpty { segments.append(.text(texts[index])) }
            guard index < tags.count else { break }
            let tag = tags[index]
            switch tag.kind {
            case .comment: break
            case .output: segments.append(.output(try tokens(tag.body), source: "{{\(tag.body)}}"))
            case .statement: segments.append(.statement(try tokens(tag.body), source: "{%\(tag.body)%}"))
            }
        }
        return segments
    }

    static func tokens(_ body: String) throws -> [ExprToken] {
        let chars = Array(body)
        var result: [ExprToken] = []
        var i = 0
        func fail(_ message: String) -> TokenizerError {
            TokenizerError(.template, source: "chat template", "\(message) in '\(body.trimmingWhitespace())'")
        }
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace { i += 1; continue }
            if c.isLetter || c == "_" {
                var j = i
                while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { j += 1 }
                result.append(.name(String(chars[i..<j])))
                i = j
            } else if c.isASCII && c.isNumber {
                var j = i
                while j < chars.count, chars[j].isASCII && chars[j].isNumber { j += 1 }
                if j + 1 < chars.count, chars[j] == ".", chars[j + 1].isASCII && chars[j + 1].isNumber {
                    j += 1
                    while j < chars.count, chars[j].isASCII && chars[j].isNumber { j += 1 }
                    result.append(.double(Double(String(chars[i..<j]))!))
                } else {
                    guard let value = Int(String(chars[i..<j])) else { throw fail("number too large") }
                    result.append(.int(value))
                }
                i = j
            } else if c == "'" || c == "\"" {
                var j = i + 1
                var text = ""
                while j < chars.count, chars[j] != c {
                    if chars[j] == "\\", j + 1 < chars.count {
                        j += 1
                        switch chars[j] {
                        case "n": text.append("\n")
                        case "t": text.append("\t")
                        case "r": text.append("\r")
                        default: text.append(chars[j])
                        }
                    } else {
                        text.append(chars[j])
                    }
                    j += 1
                }
                guard j < chars.count else { throw fail("unterminated string") }
                result.append(.string(text))
                i = j + 1
            } else {
                let two = i + 1 < chars.count ? String(chars[i...i + 1]) : ""
                if ["==", "!=", "<=", ">=", "//", "**"].contains(two) {
                    result.append(.symbol(two))
                    i += 2
                } else if "()[]{}.,:|+-*/%~<>=".contains(c) {
                    result.append(.symbol(String(c)))
                    i += 1
                } else {
                    throw fail("unexpected character '\(c)'")
                }
            }
        }
        return result
    }
}

extension String {
    /// Python's `strip()`; walks only the whitespace at the ends (a message can be megabytes long).
    func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }
}
