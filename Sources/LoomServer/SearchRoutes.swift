import Foundation
import Hummingbird
import LoomIndex
import LoomMedia

/// The JSON body of POST /api/search: a text `query` or the `item_id` of an indexed item ("more
/// like this"); an example file is sent as multipart instead (`file`, with the same fields as text).
struct SearchRequest: Decodable {
    var query: String?
    var itemID: Int64?
    var modality: [String]?
    var k: Int?
    var page: Int?
    var nextPage: String?

    enum CodingKeys: String, CodingKey {
        case query, modality, k, page
        case itemID = "item_id"
        case nextPage = "next_page"
    }
}

extension LoomServer {
    /// Results a page may hold, and how deep pages may go: bounds what one request makes the search rank.
    static let maxPageSize = 200
    static let maxRanked = 10_000

    func addSearchRoutes(to router: Router<BasicRequestContext>) {
        router.post("/api/search") { request, _ in try await self.searchRoute(request) }
        router.get("/api/items/{id}") { _, context in try await self.itemRoute(try Self.itemID(context)) }
        router.get("/api/media/{id}") { request, context in try await self.mediaRoute(try Self.itemID(context), request: request) }
        router.get("/api/thumb/{id}") { request, context in try await self.thumbnailRoute(try Self.itemID(context), request: request) }
    }

    func searchService() throws -> SearchService {
        guard let search else { throw APIError.notFound("this server has no index (start loom serve with --index FILE)") }
        return search
    }

    /// An item id from the path: a number, never a name, so no request names a file.
    static func itemID(_ context: BasicRequestContext) throws -> Int64 {
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text), id > 0 else { throw APIError.badRequest("item ids are positive numbers, not '\(text)'", param: "id") }
        return id
    }

    func searchRoute(_ request: Request) async throws -> Response {
        let service = try searchService()
        var request = request
        let body = try await readBody(&request)
        var fields: SearchRequest
        var upload: URL?
        if request.headers[.contentType]?.lowercased().hasPrefix("multipart/form-data") == true {
            let form = try MultipartForm(body: Data(buffer: body), contentType: request.headers[.contentType])
            fields = SearchRequest(query: form.field("query"), itemID: form.field("item_id").flatMap { Int64($0) },
                                   modality: form.field("modality").map { $0.split(separator: ",").map(String.init) },
                                   k: form.field("k").flatMap { Int($0) }, page: form.field("page").flatMap { Int($0) },
                                   nextPage: form.field("next_page"))
            if let file = form.part("file") { upload = try Self.temporaryCopy(file) }
        } else {
            fields = try JSON.decode(SearchRequest.self, from: body)
        }
        defer { if let upload { try? FileManager.default.removeItem(at: upload) } }

        let query: SearchService.Query
        switch (fields.query?.isEmpty == false ? fields.query : nil, fields.itemID, upload) {
        case (let text?, nil, nil): query = .text(text)
        case (nil, let id?, nil):
            guard let item = try service.item(id)?.item else { throw APIError.notFound("no item \(id) in the index") }
            query = .like(item.url)
        case (nil, nil, let file?): query = .like(file)
        default: throw APIError.badRequest("give exactly one of query, item_id or file")
        }
        let pageSize = fields.k ?? 20
        guard (1...Self.maxPageSize).contains(pageSize) else { throw APIError.badRequest("k must be within 1...\(Self.maxPageSize)", param: "k") }
        let page = try fields.nextPage.map { token in
            guard let page = Int(token), page >= 1 else { throw APIError.badRequest("next_page '\(token)' is not a page token", param: "next_page") }
            return page
        } ?? fields.page ?? 1
        guard page >= 1, page * pageSize <= Self.maxRanked else {
            throw APIError.badRequest("page must be within 1...\(Self.maxRanked / pageSize) for k \(pageSize)", param: "page")
        }
        var options = SearchOptions()
        // One more than the page, to know whether a next page exists.
        options.k = page * pageSize + 1
        if let names = fields.modality, !names.isEmpty {
            options.modalities = Set(try names.map { name in
                guard let modality = Modality(rawValue: name.trimmingCharacters(in: .whitespaces).lowercased()) else {
                    throw APIError.badRequest("unknown modality '\(name)'; use image, audio or text", param: "modality")
                }
                return modality
            })
        }
        let chosen = options
        let hits = try await whileConnected(request) { try await service.queue.run { try service.search(query, options: chosen) } }
        let pageHits = hits.dropFirst((page - 1) * pageSize).prefix(pageSize)
        let results: [[String: Any]] = pageHits.map { hit in
            var entry: [String: Any] = ["item_id": hit.itemId, "name": URL(fileURLWithPath: hit.path).lastPathComponent,
                                        "modality": hit.modality.rawValue, "score": Double(hit.score), "match": hit.match,
                                        "media_url": "/api/media/\(hit.itemId)"]
            if hit.modality == .image { entry["thumb_url"] = "/api/thumb/\(hit.itemId)" }
            if let start = hit.start { entry["start"] = start }
            if let end = hit.end { entry["end"] = end }
            if let snippet = hit.snippet(limit: 200) { entry["snippet"] = snippet }
            return entry
        }
        return JSON.response(["results": results, "page": page,
                              "next_page": hits.count > page * pageSize ? String(page + 1) as Any : NSNull()])
    }

    /// An uploaded example in a temporary file named only by a fresh id and the upload's extension
    /// (letters and digits only): the request's file name never becomes a path.
    static func temporaryCopy(_ part: MultipartForm.Part) throws -> URL {
        let ext = URL(fileURLWithPath: part.filename ?? "").pathExtension.lowercased()
        guard !ext.isEmpty, ext.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }), Modality(fileExtension: ext) != nil else {
            throw APIError.unsupportedMedia("the example file needs the extension of a file type the index reads (\(MediaKind.extensionList()))")
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("loom-serve-\(UUID().uuidString).\(ext)")
        try part.data.write(to: url)
        return url
    }

    func itemRoute(_ id: Int64) async throws -> Response {
        let service = try searchService()
        guard let (item, segments) = try await service.queue.run({ try service.item(id) }) else {
            throw APIError.notFound("no item \(id) in the index")
        }
        let metadata = (try? JSONSerialization.jsonObject(with: Data(item.metadata.utf8))) ?? [String: Any]()
        var entry: [String: Any] = ["id": id, "name": item.url.lastPathComponent, "modality": item.modality.rawValue, "size": item.size,
                                    "mtime": item.mtime, "status": item.status.rawValue, "metadata": metadata, "media_url": "/api/media/\(id)"]
        if let error = item.error { entry["error"] = error }
        entry["segments"] = segments.map { segment in
            var value: [String: Any] = ["kind": segment.kind.rawValue, "ordinal": segment.ordinal, "text": segment.text]
            if let start = segment.start, start.isFinite { value["start"] = start }
            if let end = segment.end, end.isFinite { value["end"] = end }
            return value
        }
        return JSON.response(entry)
    }
}
