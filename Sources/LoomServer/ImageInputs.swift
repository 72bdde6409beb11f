import Foundation
import LoomMedia

extension LoomServer {
    /// An `image_url` of a request: a `data:` URL (base64), or with `--media-root` a `file://` URL
    /// of a file under that folder (symlinks resolved first, so none leads out of it). URLs to fetch
    /// are refused: the server reads nothing else a request points at.
    static func decodeImage(_ url: String, param: String, mediaRoot: URL? = nil) throws -> RGBImage {
        if url.hasPrefix("file://") { return try decodeImageFile(url, param: param, mediaRoot: mediaRoot) }
        guard url.hasPrefix("data:"), let comma = url.firstIndex(of: ","), url[..<comma].hasSuffix(";base64") else {
            throw APIError.badRequest("images must be data: URLs with base64 content (data:image/png;base64,...)"
                                      + (mediaRoot == nil ? "" : " or file:// URLs under the server's --media-root"), param: param)
        }
        guard let data = Data(base64Encoded: String(url[url.index(after: comma)...]), options: .ignoreUnknownCharacters) else {
            throw APIError.badRequest("the image's data: URL is not valid base64", param: param)
        }
        return try ImageDecoder().decode(data: data, name: "image_url")
    }

    private static func decodeImageFile(_ url: String, param: String, mediaRoot: URL?) throws -> RGBImage {
        guard let mediaRoot else {
            throw APIError.badRequest("file:// images need the server started with --media-root DIR", param: param)
        }
        guard let path = URL(string: url)?.path, !path.isEmpty else {
            throw APIError.badRequest("'\(url)' is not a file:// URL", param: param)
        }
        let root = mediaRoot.standardizedFileURL.resolvingSymlinksInPath().path
        let file = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath()
        guard file.path.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
            throw APIError(.forbidden, type: "permission_error", "'\(path)' is outside the server's --media-root", param: param)
        }
        let handle: FileHandle
        do {
            handle = try InputFile.open(file)
        } catch {
            throw APIError.notFound("no image file '\(path)' under the media root")
        }
        defer { try? handle.close() }
        let data = try handle.readToEnd() ?? Data()
        return try ImageDecoder().decode(data: data, name: file.lastPathComponent)
    }
}
