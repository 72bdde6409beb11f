import Foundation
import LoomTestSupport
import Testing

@Suite struct InspectCommandTests {
    /// The demo's command: every sample decodes, with the sizes and durations Samples/ README states.
    @Test func samplesAllDecode() throws {
        let result = try CLIRunner.run(["inspect", "--recursive", "Samples"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("image  Samples/images/chelsea.jpg  JPEG 451x300"))
        // EXIF orientation 6 on a square photo keeps the size; the rotation itself is tested in LoomMediaTests.
        #expect(result.stdout.contains("image  Samples/images/hopper_orientation_6.jpg  JPEG 128x128"))
        #expect(result.stdout.contains("Samples/audio/jfk.mp3"))
        #expect(result.stdout.contains("176000 samples at 16 kHz, 1100 log-mel frames"))
        #expect(result.stdout.contains("arctic_a0007_44k_stereo.flac  FLAC"))
        #expect(result.stderr.contains("10 images, 9 audio, 3 skipped, 0 failed"), "\(result.stderr)")
    }

    /// Broken files are reported by name, the rest still decode, and the exit status says something failed.
    @Test func badFilesAreReportedAndTheRestGoOn() throws {
        let folder = try Fixtures.temporaryDirectory("loom-inspect")
        defer { try? FileManager.default.removeItem(at: folder) }
        let copies = ["images/bad_truncated.png", "images/bad_text.jpg", "images/chelsea.png",
                      "audio/random_bytes.wav", "audio/empty.wav", "audio/silence_2s.flac"]
        for path in copies {
            try FileManager.default.copyItem(at: Fixtures.url(path),
                                             to: folder.appendingPathComponent(URL(fileURLWithPath: path).lastPathComponent))
        }
        let result = try CLIRunner.run(["inspect", folder.path])
        #expect(result.status == 1)
        for name in ["bad_truncated.png", "bad_text.jpg", "random_bytes.wav", "empty.wav"] {
            #expect(result.stderr.contains("error:") && result.stderr.contains(name), "\(name) not reported")
        }
        #expect(result.stdout.contains("chelsea.png  PNG"))
        #expect(result.stdout.contains("silence_2s.flac  FLAC"))
        #expect(result.stderr.contains("6 files: 1 images, 1 audio, 0 skipped, 4 failed"))
    }

    @Test func jsonLinesParse() throws {
        let result = try CLIRunner.run(["inspect", "--json", "Samples/images/rocket.jpg", "Samples/audio/jfk.wav"])
        #expect(result.status == 0)
        let objects = try result.stdout.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
        #expect(objects.count == 2)
        #expect(objects[0]["width"] as? Int == 640 && objects[0]["height"] as? Int == 427)
        #expect(objects[1]["melFrames"] as? Int == 1100 && objects[1]["kind"] as? String == "audio")
    }

    /// A Latin-1 name (`caf\xE9.wav`, not UTF-8) is found in a folder and found when named; names
    /// holding a newline or an ESC are printed escaped, so they cannot forge lines or drive the terminal.
    @Test func hostileFileNamesArePrintedEscaped() throws {
        let folder = try Fixtures.temporaryDirectory("loom-inspect-names")
        defer { try? FileManager.default.removeItem(at: folder) }
        let speech = try Data(contentsOf: Fixtures.sample("audio/jfk.wav"))
        try SpecialFiles.create(SpecialFiles.latin1Name, in: folder, contents: speech)
        try SpecialFiles.create(Array("new\nerror: forged.wav".utf8), in: folder, contents: speech)
        try SpecialFiles.create(Array("\u{1B}[2Jclear.wav".utf8), in: folder, contents: Data("not audio".utf8))

        let named = try CLIRunner.runShell(#"exec "$LOOM" inspect "$(printf 'caf\351.wav')""#, in: folder, timeout: 120)
        #expect(named.status == 0 && named.stdout.contains("audio  caf\\xE9.wav  WAV"), "\(named.stdout)\(named.stderr)")
        #expect(named.stderr.contains("1 files: 0 images, 1 audio"))

        let walked = try CLIRunner.run(["inspect", "."], in: folder, timeout: 120)
        #expect(walked.status == 1, "the file that is not audio fails")
        #expect(walked.stdout.contains("audio  caf\\xE9.wav  WAV") && walked.stdout.contains("audio  new\\nerror: forged.wav  WAV"), "\(walked.stdout)")
        #expect(walked.stdout.split(separator: "\n").count == 2, "one line per file: \(walked.stdout)")
        #expect(walked.stderr.contains("error: ") && walked.stderr.contains("\\x1B[2Jclear.wav"), "\(walked.stderr)")
        #expect(!(walked.stdout + walked.stderr).contains("\u{1B}"), "no raw ESC reaches the terminal")
        #expect(walked.stderr.contains("3 files: 0 images, 2 audio, 0 skipped, 1 failed"))
    }

    /// Reading a FIFO blocks until a writer comes, /dev/zero never ends: both are refused by name and
    /// skipped in folders, and `inspect` returns at once.
    @Test func fifosAndDevicesAreRefusedWithoutHanging() throws {
        let folder = try Fixtures.temporaryDirectory("loom-inspect-fifo")
        defer { try? FileManager.default.removeItem(at: folder) }
        try SpecialFiles.makeFIFO(folder.appendingPathComponent("fifo.wav"))
        try SpecialFiles.linkToDevZero(folder.appendingPathComponent("zero.png"))
        try FileManager.default.copyItem(at: Fixtures.sample("audio/jfk.wav"), to: folder.appendingPathComponent("jfk.wav"))
        for name in ["fifo.wav", "zero.png"] {
            let result = try CLIRunner.run(["inspect", name], in: folder, timeout: 60)
            #expect(!result.timedOut, "inspect \(name) hung")
            #expect(result.status != 0 && result.stderr.contains("\(name): not a regular file"), "\(result.stderr)")
        }
        let walked = try CLIRunner.run(["inspect", "."], in: folder, timeout: 120)
        #expect(!walked.timedOut && walked.status == 0 && walked.stderr.contains("1 files: 0 images, 1 audio"), "\(walked.stderr)")
    }

    /// A 74-byte PNG declaring 100000x100000 used to abort `inspect --max-megapixels 100000` allocating
    /// 30 GB: the option is bounded, and below the bound the file is refused for claiming more
    /// pixels than its bytes can hold.
    @Test func tinyPNGWithAHugeHeaderAndHugePixelLimits() throws {
        let folder = try Fixtures.temporaryDirectory("loom-inspect-bomb")
        defer { try? FileManager.default.removeItem(at: folder) }
        func png(side: [UInt8], crc: String) -> Data {
            var bytes = [UInt8](Data(hex: "89504e470d0a1a0a0000000d49484452"))
            bytes += side + side + [8, 2, 0, 0, 0] + [UInt8](Data(hex: crc))
            bytes += [UInt8](Data(hex: "000000114944415478da636018" + "05a3601430300000030a000137e14553" + "0000000049454e44ae426082"))
            return Data(bytes)
        }
        let bomb = folder.appendingPathComponent("bomb.png")
        try png(side: [0x00, 0x01, 0x86, 0xA0], crc: "27309c9f").write(to: bomb)  // 100000x100000
        let smaller = folder.appendingPathComponent("bomb30k.png")
        try png(side: [0x00, 0x00, 0x75, 0x30], crc: "e9456fed").write(to: smaller)  // 30000x30000
        #expect(try Data(contentsOf: bomb).count == 74)

        let huge = try CLIRunner.run(["inspect", "--max-megapixels", "100000", bomb.path])
        #expect(huge.status == 64, "a usage error, not a crash: \(huge.status) \(huge.stderr)")
        #expect(huge.stderr.contains("--max-megapixels must be between 1 and 1000"), "\(huge.stderr)")

        let allowed = try CLIRunner.run(["inspect", "--max-megapixels", "1000", smaller.path])
        #expect(allowed.status == 1, "\(allowed.status) \(allowed.stderr)")
        #expect(allowed.stderr.contains("bomb30k.png: the PNG file is truncated (its header declares 30000x30000 pixels, more than its 74 bytes can hold)"),
                "\(allowed.stderr)")

        let byDefault = try CLIRunner.run(["inspect", bomb.path])
        #expect(byDefault.status == 1 && byDefault.stderr.contains("--max-megapixels"), "\(byDefault.stderr)")
    }

    @Test func missingPathAndBadThreads() throws {
        let missing = try CLIRunner.run(["inspect", "no/such/folder"])
        #expect(missing.status != 0 && missing.stderr.contains("no/such/folder: no such file or folder"))
        let threads = try CLIRunner.run(["inspect", "--threads", "0", "Samples"])
        #expect(threads.status != 0 && threads.stderr.contains("--threads must be at least 1"))
    }
}

extension Data {
    /// Bytes from hex digits.
    init(hex: String) {
        let digits = hex.filter(\.isHexDigit).map { UInt8(String($0), radix: 16)! }
        self.init(stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] })
    }
}
