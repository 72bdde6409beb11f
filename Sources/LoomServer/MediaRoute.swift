import Foundation
import Hummingbird
import LoomIndex

extension LoomServer {
    /// GET /api/media/{id}: the indexed file itself, by item id only, with single byte ranges
    /// (`Range: bytes=a-b`, `a-`, `-n`) so players can seek in audio.
    func mediaRoute(_ id: Int64, request: Request) async throws -> Response {
        let service = try searchService()
        guard let item = try await service.queue.run({ try service.item(id)?.item }) else {
            throw APIError.notFound("no item \(id) in the index")
        }
        guard let handle = FileHandle(forReadingAtPath: item.path),
              let size = (try? FileManager.default.attributesOfItem(atPath: item.path))?[.size] as? Int else {
            throw APIError.notFound("item \(id)'s file is no longer where it was indexed; re-run loom index")
        }
        var headers: HTTPFields = [.acceptRanges: "bytes"]
        headers[.contentType] = MediaType.getMediaType(forExtension: item.url.pathExtension.lowercased())?.description ?? "application/octet-stream"
        var range = 0..<size
        var status = HTTPResponse.Status.ok
        if let header = request.headers[.range] {
            guard let asked = Self.byteRange(header, size: size) else {
                try? handle.close()
                headers[.contentRange] = "bytes */\(size)"
                return Response(status: .rangeNotSatisfiable, headers: headers)
            }
            range = asked
            status = .partialContent
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(size)"
        }
        let span = range
        return Response(status: status, headers: headers, body: ResponseBody(contentLength: span.count) { writer in
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(span.lowerBound))
            var left = span.count
            while left > 0 {
                let data = try handle.read(upToCount: min(left, 1 << 16)) ?? Data()
                guard !data.isEmpty else { break }
                try await writer.write(ByteBuffer(bytes: data))
                left -= data.count
            }
            try await writer.finish(nil)
        })
    }

    /// One range of `bytes=` within a file of `size` bytes, or nil when it is not one that can be served.
    static func byteRange(_ header: String, size: Int) -> Range<Int>? {
        guard header.hasPrefix("bytes="), !header.contains(","), size > 0 else { return nil }
        let spec = header.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        let bounds = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard bounds.count == 2 else { return nil }
        if bounds[0].isEmpty {
            guard let suffix = Int(bounds[1]), suffix > 0 else { return nil }
            return max(0, size - suffix)..<size
        }
        guard let start = Int(bounds[0]), start >= 0, start < size else { return nil }
        if bounds[1].isEmpty { return start..<size }
        guard let end = Int(bounds[1]), end >= start else { return nil }
        return start..<(min(end, size - 1) + 1)
    }
}
