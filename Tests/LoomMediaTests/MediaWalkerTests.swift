import Foundation
import LoomMedia
import LoomTestSupport
import Testing

/// The one folder walker, its extension table, file names that are not UTF-8 or hold control
/// characters, and inputs that are not regular files (a FIFO blocks `open`, /dev/zero never ends).
@Suite struct MediaWalkerTests {
    func tree(_ paths: [String]) throws -> URL {
        let root = try Fixtures.temporaryDirectory("loom-walker")
        for path in paths {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data().write(to: url)
        }
        return root
    }

    func walk(_ root: MediaWalker.Root, excluded: URL? = nil) -> [String] {
        MediaWalker(root, excluded: excluded).map(\.relativePath)
    }

    @Test func walksInPathOrderSkippingHiddenAndExcludedWithKindsAndGlobs() throws {
        let root = try tree(["b.wav", "a.png", "sub/c.jpg", "sub/deeper/d.flac", ".hidden/e.png", "out/f.png",
                             "notes.txt", "sub/g.jpg", "sub.wav", ".h.wav"])
        defer { try? FileManager.default.removeItem(at: root) }
        var spec = MediaWalker.Root(path: root, recursive: true, kinds: [.image, .audio])
        let out = root.appendingPathComponent("out")
        // A folder sorts as "name/": the order of the full paths, as `find | LC_ALL=C sort` gives.
        #expect(walk(spec, excluded: out) == ["a.png", "b.wav", "sub.wav", "sub/c.jpg", "sub/deeper/d.flac", "sub/g.jpg"])
        #expect(walk(spec).contains("out/f.png"))
        spec.kinds = nil
        #expect(walk(spec, excluded: out).contains("notes.txt"))
        spec.recursive = false
        #expect(walk(spec, excluded: out) == ["a.png", "b.wav", "notes.txt", "sub.wav"])
        spec = MediaWalker.Root(path: root, recursive: true, kinds: [.image], exclude: ["g.*"])
        #expect(walk(spec, excluded: out) == ["a.png", "sub/c.jpg"])
        spec.include = ["sub/*"]
        #expect(walk(spec, excluded: out) == ["sub/c.jpg"])
        // A file named as the root is taken whatever its extension says.
        let named = MediaWalker.Root(path: root.appendingPathComponent("notes.txt"), recursive: false, kinds: [.audio])
        #expect(MediaWalker(named).map(\.kind) == [.text])
    }

    @Test func oneExtensionTable() {
        #expect(MediaKind(fileExtension: "JPG") == .image && MediaKind(fileExtension: "opus") == .audio)
        #expect(MediaKind(fileExtension: "md") == .text && MediaKind(fileExtension: "mp4") == nil)
        #expect(MediaKind.decodable == [.image, .audio])
        #expect(MediaKind.extensionList([.image]) == "image: jfif jpe jpeg jpg png")
    }

    /// FIFOs, sockets, devices and symlinks to them are skipped in folders and refused by name,
    /// and never opened: `open` on a FIFO waits for a writer, /dev/zero never ends.
    @Test func onlyRegularFilesAreWalkedOpenedOrDecoded() throws {
        let root = try tree(["a.wav", "real/c.png"])
        defer { try? FileManager.default.removeItem(at: root) }
        let fifo = root.appendingPathComponent("fifo.wav"), zero = root.appendingPathComponent("zero.wav")
        try SpecialFiles.makeFIFO(fifo)
        try SpecialFiles.linkToDevZero(zero)
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("link.wav").path, withDestinationPath: "a.wav")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("dangling.wav").path, withDestinationPath: "gone.wav")
        // A link to a folder (here its parent, a loop) is not descended into.
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("loop").path, withDestinationPath: ".")

        let found = SpecialFiles.finishing(within: 30) { [root] in
            MediaWalker(MediaWalker.Root(path: root, recursive: true)).map(\.relativePath)
        }
        #expect(found == ["a.wav", "link.wav", "real/c.png"])
        for path in [fifo, zero] {
            #expect(throws: FileAccessError.notARegularFile(path: path.path)) { try MediaWalker.check(path) }
            #expect(throws: FileAccessError.notARegularFile(path: path.path)) { try MediaWalker.files(in: [path], recursive: false) }
            let failures = SpecialFiles.finishing(within: 30) { () -> [String] in
                var messages: [String] = []
                do { _ = try InputFile.open(path) } catch { messages.append("\(error)") }
                do { _ = try AudioDecoder().decode(contentsOf: path) } catch { messages.append("\(error)") }
                do { _ = try ImageDecoder().decode(contentsOf: path) } catch { messages.append("\(error)") }
                return messages
            }
            #expect(failures?.count == 3, "reading \(path.lastPathComponent) hung or succeeded")
            for message in failures ?? [] { #expect(message.contains("not a regular file"), "\(message)") }
        }
        #expect(throws: FileAccessError.noSuchFile(path: "no/such/folder")) {
            try MediaWalker.check(URL(fileURLWithPath: "no/such/folder"))
        }
        #expect(FileAccessError.noSuchFile(path: "no/such/folder").description == "no/such/folder: no such file or folder")
    }

    /// Foundation turns the Latin-1 byte 0xE9 of `café.wav` into U+FFFD, naming no file; the walker
    /// lists folders with readdir and keeps the bytes, so the file is found, decoded and shown.
    @Test func latin1NameIsWalkedDecodedAndShownEscaped() throws {
        let root = try Fixtures.temporaryDirectory("loom-latin1")
        defer { try? FileManager.default.removeItem(at: root) }
        try SpecialFiles.create(SpecialFiles.latin1Name, in: root, contents: try Data(contentsOf: Fixtures.sample("audio/jfk.wav")))
        try SpecialFiles.create(Array("caf".utf8) + [0xE9] + Array(".png".utf8), in: root,
                                contents: try Data(contentsOf: Fixtures.sample("images/astronaut.png")))

        let found = MediaWalker(MediaWalker.Root(path: root, recursive: false)).map { $0 }
        try #require(found.map(\.kind) == [.image, .audio])
        #expect(found.map { DisplayPath.escaping($0.relativePath) } == ["caf\\xE9.png", "caf\\xE9.wav"])
        let audio = try AudioDecoder().decode(contentsOf: found[1].url)
        #expect(audio.samples.count == 176_000)
        let original = try ImageDecoder().decode(contentsOf: Fixtures.sample("images/astronaut.png"))
        #expect(try ImageDecoder().decode(contentsOf: found[0].url) == original)
        #expect(InputFile.status(found[1].url)?.kind == .regularFile)
        // The path string turns back into the exact bytes on disk.
        #expect(FileSystemPath.bytes(found[1].url.lastPathComponent) == SpecialFiles.latin1Name)
        // Errors about such a file show the bytes escaped, never raw.
        try SpecialFiles.create(Array("bad".utf8) + [0xFF] + Array(".png".utf8), in: root, contents: Data("not an image".utf8))
        let bad = URL(fileURLWithPath: root.path + "/" + FileSystemPath.string(Array("bad".utf8) + [0xFF] + Array(".png".utf8)))
        #expect(throws: ImageDecodingError.self) { try ImageDecoder().decode(contentsOf: bad) }
        do { _ = try ImageDecoder().decode(contentsOf: bad) } catch {
            #expect("\(error)".contains("bad\\xFF.png: cannot decode"), "\(error)")
        }
    }

    /// The index compares stored modification times with these: they must equal Foundation's.
    @Test func statusTimesEqualFoundations() throws {
        let root = try tree(["a.wav"])
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("a.wav")
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_704_164_645.123456789)], ofItemAtPath: file.path)
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect(InputFile.status(file)?.modificationTime == (attributes[.modificationDate] as? Date)?.timeIntervalSince1970)
        #expect(InputFile.status(file)?.size == 0 && InputFile.status(root)?.kind == .folder)
    }

    @Test func fileSystemBytesRoundTripExactly() {
        let names: [[UInt8]] = [
            Array("plain.wav".utf8), Array("café.wav".utf8), SpecialFiles.latin1Name,
            [0xFF, 0xFE, 0x41], [0xE2, 0x82], [0xC0, 0xAF], [0xED, 0xA0, 0x80],   // bad lead, truncated, overlong, surrogate
            Array("\u{EFE9}".utf8),                                               // a real character of the escape range
            Array("tab\tnew\nline\u{1B}".utf8),
        ]
        for name in names {
            let string = FileSystemPath.string(name)
            #expect(FileSystemPath.bytes(string) == name, "\(name)")
        }
        #expect(FileSystemPath.string(Array("café.wav".utf8)) == "café.wav", "UTF-8 names are kept as they are")
        #expect(FileSystemPath.string(Array("\u{EFE9}".utf8)) != FileSystemPath.string([0xE9]), "no two names share a string")
    }

    /// A newline in a file name would forge a log line, an ESC would drive the terminal.
    @Test func displayEscapesControlsAndBadBytes() {
        #expect(DisplayPath.escaping("new\nline.wav") == "new\\nline.wav")
        #expect(DisplayPath.escaping("\u{1B}[31mred.png") == "\\x1B[31mred.png")
        #expect(DisplayPath.escaping("cr\r\ttab\u{7F}\u{85}") == "cr\\r\\ttab\\x7F\\u{85}")
        #expect(DisplayPath.escaping("evil\u{202E}gnp.exe") == "evil\\u{202E}gnp.exe")
        #expect(DisplayPath.escaping(FileSystemPath.string(SpecialFiles.latin1Name)) == "caf\\xE9.wav")
        #expect(DisplayPath.escaping("Samples/audio/café ok.wav") == "Samples/audio/café ok.wav")
        let cwd = FileManager.default.currentDirectoryPath
        #expect(DisplayPath.of(URL(fileURLWithPath: cwd + "/a/new\nline.wav")) == "a/new\\nline.wav")
    }
}
