import Foundation
import LoomModels

/// The files the text read from an image can be written as (`loom ocr`, the pipeline's `ocr` step).
public enum OCRFormat: String, CaseIterable, Sendable {
    /// One line of text per line found, in reading order.
    case txt
    /// `{"path", "lines": [{"text", "confidence", "box": [[x, y] x 4]}]}`, corners clockwise from the
    /// top-left of the text, in image pixels.
    case json
    /// A header, then confidence, the four corners and the text, tab-separated.
    case tsv

    public func render(_ lines: [OCRLine], path: String) throws -> String {
        switch self {
        case .txt:
            return lines.map { Self.oneLine($0.text) + "\n" }.joined()
        case .tsv:
            return "confidence\tx1\ty1\tx2\ty2\tx3\ty3\tx4\ty4\ttext\n" + lines.map { line in
                ([String(format: "%.4f", line.confidence)] + line.box.flatMap { [Self.coordinate($0.x), Self.coordinate($0.y)] }
                    + [Self.oneLine(line.text)]).joined(separator: "\t") + "\n"
            }.joined()
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(OCRDocument(path: path, lines: lines)), as: UTF8.self) + "\n"
        }
    }

    /// Tabs and line breaks inside a line's text would break the formats' rows.
    static func oneLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
    }

    /// Whole pixels without a decimal point, others with two places.
    static func coordinate(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value)
    }
}

/// The JSON form of one image's text.
public struct OCRDocument: Codable, Sendable {
    public struct Line: Codable, Sendable {
        public let text: String
        public let confidence: Float
        public let box: [[Double]]
    }
    public let path: String
    public let lines: [Line]

    public init(path: String, lines: [OCRLine]) {
        self.path = path
        self.lines = lines.map { Line(text: $0.text, confidence: $0.confidence, box: $0.box.map { [$0.x, $0.y] }) }
    }
}
