import Foundation

/// The files under a path, found lazily: one folder is listed at a time, so a tree of 100k files is
/// never held in memory. Every command, the index and the pipeline walk with it.
///
/// - Order is stable: sorted by the bytes of the path below the root (the order of `find | LC_ALL=C sort`).
/// - Hidden files and folders (names starting with `.`: caches, temporary files) are skipped, and so
///   is the `excluded` folder (a run's output folder inside its input).
/// - Only regular files are taken, and symlinks to them. FIFOs, sockets, devices and symlinks to
///   them are skipped: reading one would block or never end. Symlinks to folders are not followed
///   (a link to a parent would loop); a root that is one is.
/// - Names that are not UTF-8 are kept exactly (see `FileSystemPath`).
public struct MediaWalker: Sequence, Sendable {
    /// A path to walk and which of its files to take.
    public struct Root: Sendable {
        public var path: URL
        /// Descend into sub-folders (else only the folder's own files).
        public var recursive: Bool
        /// The kinds taken from folders, by extension; nil: every file. A file given as the root
        /// itself is taken whatever its name says.
        public var kinds: Set<MediaKind>?
        /// Shell globs matched against the path below the root or the file name; empty: every file.
        public var include: [String]
        public var exclude: [String]

        public init(path: URL, recursive: Bool, kinds: Set<MediaKind>? = nil, include: [String] = [], exclude: [String] = []) {
            self.path = path
            self.recursive = recursive
            self.kinds = kinds
            self.include = include
            self.exclude = exclude
        }
    }

    /// A file found under a root.
    public struct Found: Sendable {
        public let url: URL
        /// Its path below the root (its name when it is the root).
        public let relativePath: String
        /// What its extension says; nil for other files (possible only for a root file or `kinds: nil`).
        public let kind: MediaKind?
    }

    public let root: Root
    /// Not descended into, even when it lies inside the root.
    public let excluded: URL?

    public init(_ root: Root, excluded: URL? = nil) {
        self.root = root
        self.excluded = excluded?.standardizedFileURL
    }

    /// Throws unless `path` is a folder or a regular file (or a symlink to one): a missing path, or a
    /// FIFO, socket or device named on the command line, is an error the user should see.
    public static func check(_ path: URL) throws(FileAccessError) {
        switch InputFile.status(path) {
        case nil: throw .noSuchFile(path: path.relativePath)
        case .some(let status) where status.kind == .other: throw .notARegularFile(path: path.relativePath)
        default: break
        }
    }

    /// The files under `paths` in order (each path checked first, so a bad one fails before any work).
    public static func files(in paths: [URL], recursive: Bool, kinds: Set<MediaKind>? = nil) throws(FileAccessError) -> [URL] {
        for path in paths { try check(path) }
        return paths.flatMap { path in MediaWalker(Root(path: path, recursive: recursive, kinds: kinds)).map(\.url) }
    }

    public func makeIterator() -> Iterator { Iterator(root: root, excluded: excluded?.path) }

    public struct Iterator: IteratorProtocol {
        let root: Root
        let rootPath: String
        let excluded: String?
        var started = false
        /// The entries still to visit in each folder being read, outermost first; each list is
        /// reversed, so `popLast` gives the next one.
        var pending: [[Entry]] = []

        struct Entry {
            let path: String
            let isFolder: Bool
        }

        init(root: Root, excluded: String?) {
            self.root = root
            self.rootPath = root.path.standardizedFileURL.path
            self.excluded = excluded
        }

        public mutating func next() -> Found? {
            if !started {
                started = true
                switch InputFile.status(path: rootPath)?.kind {
                case .folder: pending = [Self.list(rootPath)]
                case .regularFile: if let found = accept(rootPath, isRoot: true) { return found }
                case .other, nil: break
                }
            }
            while !pending.isEmpty {
                guard let entry = pending[pending.count - 1].popLast() else { pending.removeLast(); continue }
                if entry.isFolder {
                    if root.recursive && entry.path != excluded { pending.append(Self.list(entry.path)) }
                } else if let found = accept(entry.path, isRoot: false) {
                    return found
                }
            }
            return nil
        }

        func accept(_ path: String, isRoot: Bool) -> Found? {
            let url = URL(fileURLWithPath: path, isDirectory: false)
            let kind = MediaKind(of: url)
            if !isRoot, let kinds = root.kinds, !(kind.map(kinds.contains) ?? false) { return nil }
            let relative = isRoot ? url.lastPathComponent : String(path.dropFirst(rootPath.count).drop { $0 == "/" })
            // Globs see the name's bytes, so `caf*` matches a Latin-1 name too.
            func matches(_ pattern: String) -> Bool {
                [relative, url.lastPathComponent].contains { name in
                    FileSystemPath.withCString(name) { fnmatch(pattern, $0, 0) == 0 }
                }
            }
            if !root.include.isEmpty && !root.include.contains(where: matches) { return nil }
            if root.exclude.contains(where: matches) { return nil }
            return Found(url: url, relativePath: relative, kind: kind)
        }

        /// A folder's files and sub-folders, hidden ones and non-regular files left out, in walk order.
        static func list(_ folder: String) -> [Entry] {
            guard let directory = FileSystemPath.withCString(folder, { opendir($0) }) else { return [] }
            defer { closedir(directory) }
            var entries: [(key: [UInt8], entry: Entry)] = []
            while let record = readdir(directory) {
                let name = withUnsafeBytes(of: record.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
                guard name.first != UInt8(ascii: ".") else { continue }
                let path = (folder.hasSuffix("/") ? folder : folder + "/") + FileSystemPath.string(name)
                var info = stat()
                guard FileSystemPath.withCString(path, { lstat($0, &info) }) == 0 else { continue }
                switch info.st_mode & S_IFMT {
                // A folder sorts as "name/", so the walk goes in the order of its full paths.
                case S_IFDIR: entries.append((name + [UInt8(ascii: "/")], Entry(path: path, isFolder: true)))
                case S_IFREG: entries.append((name, Entry(path: path, isFolder: false)))
                case S_IFLNK where InputFile.status(path: path)?.kind == .regularFile:
                    entries.append((name, Entry(path: path, isFolder: false)))
                default: continue
                }
            }
            entries.sort { $0.key.lexicographicallyPrecedes($1.key) }
            return entries.reversed().map(\.entry)
        }
    }
}
