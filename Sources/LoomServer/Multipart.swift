import Foundation

/// A multipart/form-data body (RFC 7578) split into its parts: what curl's `-F` and the openai
/// client's file uploads send. Anything that does not parse is a 400 saying what was wrong.
struct MultipartForm {
    struct Part {
        var name: String
        var filename: String?
        var contentType: String?
        var data: Data
    }

    var parts: [Part]

    /// The first part called `name`.
    func part(_ name: String) -> Part? { parts.first { $0.name == name } }
    /// A text field's value.
    func field(_ name: String) -> String? { part(name).map { String(decoding: $0.data, as: UTF8.self) } }
    /// Every value of a repeated field (`timestamp_granularities[]`).
    func fields(_ name: String) -> [String] { parts.filter { $0.name == name }.map { String(decoding: $0.data, as: UTF8.self) } }

    init(body: Data, contentType: String?) throws {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else {
            throw APIError.badRequest("the body must be multipart/form-data (curl -F file=@audio.wav -F model=...)")
        }
        guard let boundary = Self.parameter("boundary", in: contentType), !boundary.isEmpty, boundary.count <= 200 else {
            throw APIError.badRequest("the multipart Content-Type carries no boundary")
        }
        let delimiter = Data("--\(boundary)".utf8)
        let crlf = Data("\r\n".utf8)
        guard var cursor = body.range(of: delimiter)?.upperBound else {
            throw APIError.badRequest("the multipart body holds no part (no boundary line '--\(boundary)')")
        }
        var parts: [Part] = []
        while true {
            // After a delimiter: "--" ends the body, CRLF starts a part.
            if body[cursor...].starts(with: Data("--".utf8)) { break }
            guard body[cursor...].starts(with: crlf) else { throw APIError.badRequest("the multipart body is malformed after a boundary line") }
            cursor += 2
            guard let headerEnd = body.range(of: Data("\r\n\r\n".utf8), in: cursor..<body.endIndex) else {
                throw APIError.badRequest("a multipart part has no end of its headers")
            }
            let headers = String(decoding: body[cursor..<headerEnd.lowerBound], as: UTF8.self)
            guard let next = body.range(of: crlf + delimiter, in: headerEnd.upperBound..<body.endIndex) else {
                throw APIError.badRequest("the multipart body ends inside a part (no closing boundary)")
            }
            parts.append(try Self.part(headers: headers, data: body[headerEnd.upperBound..<next.lowerBound]))
            cursor = next.upperBound
        }
        self.parts = parts
    }

    static func part(headers: String, data: Data) throws -> Part {
        var name: String?
        var filename: String?
        var contentType: String?
        for line in headers.components(separatedBy: "\r\n") {
            let lower = line.lowercased()
            if lower.hasPrefix("content-disposition:") {
                name = parameter("name", in: line)
                filename = parameter("filename", in: line)
            } else if lower.hasPrefix("content-type:") {
                contentType = line.dropFirst("content-type:".count).trimmingCharacters(in: .whitespaces)
            }
        }
        guard let name else { throw APIError.badRequest("a multipart part has no Content-Disposition name") }
        return Part(name: name, filename: filename, contentType: contentType, data: Data(data))
    }

    /// `key=value` or `key="value"` from a header's `;`-separated parameters.
    static func parameter(_ key: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == key else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }
}
