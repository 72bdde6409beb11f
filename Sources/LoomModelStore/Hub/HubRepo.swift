import Foundation

/// A model repository on the Hugging Face Hub at one revision: what `hf:ORG/NAME[@REV]` and
/// `--model ORG/NAME[@REV]` name.
public struct HubRepo: Sendable, Hashable, CustomStringConvertible {
    /// `ORG/NAME`.
    public let id: String
    /// A branch, tag or commit sha; `main` when none is given.
    public let revision: String

    public init(id: String, revision: String = "main") {
        self.id = id
        self.revision = revision
    }

    /// Parses `ORG/NAME`, `ORG/NAME@REV`, optionally prefixed with `hf:`; nil when `spec` is not of that form.
    /// Names use the Hub's characters (letters, digits, `-`, `_`, `.`), as huggingface_hub checks them.
    public init?(parsing spec: String) {
        var rest = Substring(spec)
        if rest.hasPrefix("hf:") { rest = rest.dropFirst(3) }
        var revision = "main"
        if let at = rest.firstIndex(of: "@") {
            revision = String(rest[rest.index(after: at)...])
            rest = rest[..<at]
            guard !revision.isEmpty, !revision.contains(".."), !revision.hasPrefix("/") else { return nil }
        }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        guard parts.count == 2, parts.allSatisfy({ part in
            !part.isEmpty && part.count <= 96 && !part.hasPrefix(".") && !part.hasSuffix(".")
                && part.unicodeScalars.allSatisfy { $0.isASCII && allowed.contains($0) }
        }) else { return nil }
        self.init(id: String(rest), revision: revision)
    }

    /// The cache folder's name, as huggingface_hub's `repo_folder_name`: `models--ORG--NAME`.
    public var folderName: String { "models--" + id.replacingOccurrences(of: "/", with: "--") }

    /// A full 40-hex commit sha (immutable, so nothing needs resolving).
    public var revisionIsCommit: Bool { Self.isCommit(revision) }

    package static func isCommit(_ text: String) -> Bool {
        text.count == 40 && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    public var description: String { revision == "main" ? id : "\(id)@\(revision)" }
}
