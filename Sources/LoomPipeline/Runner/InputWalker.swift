import Foundation

/// A file to process, as found under an input.
public struct FoundFile: Sendable {
    public let url: URL
    public let root: URL
    public let relativePath: String
    public let kind: MediaKind
}

/// Walks the inputs lazily, one folder listing at a time, so a tree of 100k files is never held in
/// memory. Order is stable (names sorted within each folder); hidden files and folders (the cache,
/// temporary files) and the output folder are skipped.
public struct InputWalker: Sequence, Sendable {
    public let inputs: [InputSpec]
    /// Not descended into, even when it lies inside an input folder.
    public let excluded: URL?

    public init(inputs: [InputSpec], excluded: URL?) {
        self.inputs = inputs
        self.excluded = excluded?.standardizedFileURL
    }

    public func makeIterator() -> Iterator { Iterator(inputs: inputs[...], excluded: excluded?.path) }

    public struct Iterator: IteratorProtocol {
        var inputs: ArraySlice<InputSpec>
        let excluded: String?
        var current: InputSpec?
        /// Folders still to list, and the files of the folder being read (reversed: popLast is next).
        var folders: [URL] = []
        var files: [URL] = []

        public mutating func next() -> FoundFile? {
            while true {
                if let input = current {
                    if let file = files.popLast() {
                        if let found = Self.accept(file, input: input) { return found }
                        continue
                    }
                    if let folder = folders.popLast() {
                        list(folder, recursive: input.recursive)
                        continue
                    }
                    current = nil
                }
                guard let input = inputs.popFirst() else { return nil }
                current = input
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: input.path.path, isDirectory: &isDirectory) else { continue }
                if isDirectory.boolValue { folders = [input.path] } else { files = [input.path] }
            }
        }

        mutating func list(_ folder: URL, recursive: Bool) {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
            var subfolders: [URL] = []
            for name in names.reversed() {
                let url = folder.appendingPathComponent(name)
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { continue }
                if isDirectory.boolValue {
                    if recursive && url.standardizedFileURL.path != excluded { subfolders.append(url) }
                } else {
                    files.append(url)
                }
            }
            // Sub-folders are read after this folder's files, in name order.
            folders += subfolders
        }

        static func accept(_ file: URL, input: InputSpec) -> FoundFile? {
            guard let kind = MediaKind.of(file), input.media.contains(kind) else { return nil }
            let rootPath = input.path.path
            let relative = file.path.hasPrefix(rootPath + "/") ? String(file.path.dropFirst(rootPath.count + 1)) : file.lastPathComponent
            func matches(_ pattern: String) -> Bool {
                fnmatch(pattern, relative, 0) == 0 || fnmatch(pattern, file.lastPathComponent, 0) == 0
            }
            if !input.include.isEmpty && !input.include.contains(where: matches) { return nil }
            if input.exclude.contains(where: matches) { return nil }
            return FoundFile(url: file.standardizedFileURL, root: input.path, relativePath: relative, kind: kind)
        }
    }
}
