import Foundation

/// What a file holds, by its name's extension: the one table every command, the index and the
/// pipeline read (decoders then check the content, never the extension).
public enum MediaKind: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    case image, audio, text

    public static func < (a: MediaKind, b: MediaKind) -> Bool { a.rawValue < b.rawValue }

    /// File name extensions of each kind (lowercase, no dot).
    public static let extensions: [MediaKind: Set<String>] = [
        .image: ["png", "jpg", "jpeg", "jpe", "jfif"],
        .audio: ["wav", "flac", "ogg", "oga", "opus", "mp3", "aif", "aiff"],
        .text: ["txt", "md", "markdown", "text", "rst"],
    ]

    /// The kinds `ImageDecoder` and `AudioDecoder` read; text files are read as text.
    public static let decodable: Set<MediaKind> = [.image, .audio]

    /// The kind of a file with this extension (any case), or nil for other files.
    public init?(fileExtension: String) {
        let ext = fileExtension.lowercased()
        guard let kind = MediaKind.allCases.first(where: { MediaKind.extensions[$0]!.contains(ext) }) else { return nil }
        self = kind
    }

    /// The kind a file's name says, or nil for other files.
    public init?(of url: URL) { self.init(fileExtension: url.pathExtension) }

    /// The extensions of `kinds` for messages: "audio: aif aiff ...; image: jfif jpe ...".
    public static func extensionList(_ kinds: [MediaKind] = allCases) -> String {
        kinds.map { "\($0.rawValue): " + extensions[$0]!.sorted().joined(separator: " ") }.joined(separator: "; ")
    }
}
