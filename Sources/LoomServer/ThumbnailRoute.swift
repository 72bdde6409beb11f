import Foundation
import Hummingbird
import LoomFeatures
import LoomIndex
import LoomMedia

extension LoomServer {
    /// Thumbnail sides a request may ask for (`?size=`): the page's grid uses the default.
    static let thumbnailSizes = 16...1024
    static let defaultThumbnailSize = 256

    /// GET /api/thumb/{id}: an indexed image scaled to fit `size` pixels (Pillow's bicubic, as the
    /// image processors resample) as a JPEG. Images smaller than that keep their size.
    func thumbnailRoute(_ id: Int64, request: Request) async throws -> Response {
        let service = try searchService()
        let size = try request.uri.queryParameters.get("size").map { text in
            guard let value = Int(text), Self.thumbnailSizes.contains(value) else {
                throw APIError.badRequest("size must be a whole number within \(Self.thumbnailSizes)", param: "size")
            }
            return value
        } ?? Self.defaultThumbnailSize
        let jpeg = try await service.queue.run { () throws -> Data in
            guard let item = try service.item(id)?.item else { throw APIError.notFound("no item \(id) in the index") }
            guard item.modality == .image else {
                throw APIError.notFound("item \(id) is \(item.modality.rawValue); thumbnails exist for images (GET /api/media/\(id) for the file)")
            }
            let image = try ImageDecoder().decode(contentsOf: item.url)
            let scale = min(1, Double(size) / Double(max(image.width, image.height)))
            let width = max(1, Int((Double(image.width) * scale).rounded()))
            let height = max(1, Int((Double(image.height) * scale).rounded()))
            let scaled = scale < 1 ? try PillowResampler.resize(image, width: width, height: height, filter: .bicubic) : image
            return try JPEGEncoder.encode(scaled, quality: 85)
        }
        return Response(status: .ok, headers: [.contentType: "image/jpeg", .cacheControl: "max-age=3600"],
                        body: .init(byteBuffer: ByteBuffer(bytes: jpeg)))
    }
}
