import Foundation
import LoomMedia

/// A file to process, as found under an input.
public struct FoundFile: Sendable {
    public let url: URL
    public let root: URL
    public let relativePath: String
    public let kind: MediaKind
}

/// The files of a pipeline's inputs, in order: each input walked lazily by LoomMedia's
/// `MediaWalker` (sorted, hidden files, non-regular files and the output folder skipped, its
/// include/exclude globs applied), keeping the media kinds the input asks for.
public struct PipelineInputs: Sequence, Sendable {
    public let inputs: [InputSpec]
    /// Not descended into, even when it lies inside an input folder.
    public let excluded: URL?

    public init(inputs: [InputSpec], excluded: URL?) {
        self.inputs = inputs
        self.excluded = excluded
    }

    public func makeIterator() -> AnyIterator<FoundFile> {
        var files = inputs.lazy.flatMap { input in
            let root = MediaWalker.Root(path: input.path, recursive: input.recursive, kinds: input.media,
                                        include: input.include, exclude: input.exclude)
            // A file named as the input is kept only when it is one of the input's kinds too.
            return MediaWalker(root, excluded: excluded).lazy.compactMap { found -> FoundFile? in
                guard let kind = found.kind, input.media.contains(kind) else { return nil }
                return FoundFile(url: found.url, root: input.path, relativePath: found.relativePath, kind: kind)
            }
        }.makeIterator()
        return AnyIterator { files.next() }
    }
}
