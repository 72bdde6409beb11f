import Foundation

/// Expands the paths a user gives into the files to process, in a stable order.
enum MediaFiles {
    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "jpe", "jfif"]
    static let audioExtensions: Set<String> = ["wav", "flac", "ogg", "oga", "opus", "mp3", "aif", "aiff"]

    struct MissingPath: Error, CustomStringConvertible {
        let path: String
        var description: String { "\(path): no such file or folder" }
    }

    /// Files as given, folders expanded (one level, or all with `recursive`); hidden files skipped.
    /// `extensions`, when given, filters what folders contribute; files named outright are always kept.
    static func collect(_ paths: [String], recursive: Bool, extensions: Set<String>? = nil) throws -> [URL] {
        var files: [URL] = []
        let fm = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else { throw MissingPath(path: path) }
            guard isDirectory.boolValue else { files.append(URL(fileURLWithPath: path)); continue }
            let folder = URL(fileURLWithPath: path, isDirectory: true)
            let options: FileManager.DirectoryEnumerationOptions =
                recursive ? [.skipsHiddenFiles] : [.skipsHiddenFiles, .skipsSubdirectoryDescendants]
            guard let walker = fm.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey], options: options) else { continue }
            var found: [URL] = []
            for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                if let extensions, !extensions.contains(url.pathExtension.lowercased()) { continue }
                found.append(url)
            }
            files += found.sorted { $0.path < $1.path }
        }
        return files
    }

    /// The path relative to the working directory when it lies below it, as users typed it.
    static func displayPath(_ url: URL) -> String {
        let cwd = FileManager.default.currentDirectoryPath + "/"
        return url.path.hasPrefix(cwd) ? String(url.path.dropFirst(cwd.count)) : url.path
    }
}
