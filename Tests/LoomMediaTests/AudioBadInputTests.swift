import Foundation
import LoomMedia
import LoomTestSupport
import Testing

/// Every bad input gets its own error (or warning), naming the file; none crashes.
@Suite struct AudioBadInputTests {
    let decoder = AudioDecoder()

    private func decodeError(_ url: URL, _ decoder: AudioDecoder = AudioDecoder(), targetSampleRate: Int = 16_000) -> AudioDecodingError? {
        do {
            _ = try decoder.decode(contentsOf: url, targetSampleRate: targetSampleRate)
            return nil
        } catch let error as AudioDecodingError {
            print("expected error:", error)
            #expect(error.description.contains(url.path), "the message names the file")
            return error
        } catch {
            Issue.record("not an AudioDecodingError: \(error)")
            return nil
        }
    }

    @Test func missingFileAndFolder() throws {
        let missing = Fixtures.url("audio/no-such-file.wav")
        #expect(decodeError(missing) == .fileNotFound(missing))
        let folder = Fixtures.url("audio")
        #expect(decodeError(folder) == .notARegularFile(folder))
        #expect(throws: AudioDecodingError.fileNotFound(missing)) { try AudioDecoder.probe(missing) }
    }

    @Test func symlinksAreFollowedAndDanglingOnesAreMissing() throws {
        let folder = try Fixtures.temporaryDirectory("loom-audio")
        defer { try? FileManager.default.removeItem(at: folder) }
        let link = folder.appendingPathComponent("link.wav")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: Fixtures.sample("audio/jfk.wav"))
        #expect(try decoder.decode(contentsOf: link).samples.count == 176_000)
        let dangling = folder.appendingPathComponent("dangling.wav")
        try FileManager.default.createSymbolicLink(at: dangling, withDestinationURL: folder.appendingPathComponent("gone.wav"))
        #expect(decodeError(dangling) == .fileNotFound(dangling))
    }

    @Test func emptyFile() {
        let url = Fixtures.url("audio/empty.wav")
        #expect(decodeError(url) == .emptyFile(url))
    }

    @Test func headerWithoutAudio() {
        let url = Fixtures.url("audio/header_only.wav")
        #expect(decodeError(url) == .noAudio(url))
    }

    @Test(arguments: ["random_bytes.wav", "text.mp3"])
    func garbageIsUnsupportedWithLibraryMessageAndHint(name: String) throws {
        let url = Fixtures.url("audio/\(name)")
        let error = try #require(decodeError(url))
        guard case .unsupportedOrCorrupt(_, let message) = error else {
            Issue.record("expected unsupportedOrCorrupt, got \(error)")
            return
        }
        #expect(!message.isEmpty)
        #expect(error.description.contains("libsndfile: \(message)"))
        #expect(error.description.contains("FLAC") && error.description.contains("ffmpeg"))
    }

    @Test func absurdHeaders() throws {
        let rate = Fixtures.url("audio/absurd_rate.wav")
        #expect(decodeError(rate) == .unsupportedSampleRate(rate, 4_000_000))
        #expect(throws: AudioDecodingError.unsupportedSampleRate(rate, 4_000_000)) { try AudioDecoder.probe(rate) }
        let channels = Fixtures.url("audio/absurd_channels.wav")
        #expect(decodeError(channels) == .unsupportedChannelCount(channels, 200))
    }

    @Test func badArguments() throws {
        let url = Fixtures.sample("audio/jfk.wav")
        for rate in [0, -16_000, 100_000_000] {
            #expect(decodeError(url, targetSampleRate: rate) == .invalidTargetSampleRate(url, rate))
        }
        for seconds in [0, -1, 1e-9] {
            #expect(throws: AudioDecodingError.invalidChunkDuration(url, seconds)) {
                try decoder.decodeChunks(contentsOf: url, chunkSeconds: seconds) { _ in }
            }
        }
        #expect(throws: AudioDecodingError.self) {
            try decoder.decodeChunks(contentsOf: url, chunkSeconds: .nan) { _ in }
        }
    }

    /// Truncated WAV: the header says 4.0 s (64000 frames), the file holds 0.5 s. The default keeps the
    /// 0.5 s that is there, exactly as in the complete file, and warns; `.fail` throws instead.
    @Test func truncatedWAV() throws {
        let url = Fixtures.url("audio/truncated.wav")
        let report = try decoder.decodeWithReport(contentsOf: url)
        print("truncated.wav warnings:", report.warnings.map(\.description))
        #expect(report.warnings == [.truncated(url, expectedFrames: 64_000, decodedFrames: 8_000)])
        let complete = try decoder.decode(contentsOf: Fixtures.sample("audio/arctic_a0007.wav"))
        #expect(report.audio.samples == Array(complete.samples.prefix(8_000)))
        #expect(decodeError(url, AudioDecoder(truncation: .fail)) == .truncated(url, expectedFrames: 64_000, decodedFrames: 8_000))
    }

    @Test func truncatedFLAC() throws {
        let url = Fixtures.url("audio/truncated.flac")
        let report = try decoder.decodeWithReport(contentsOf: url)
        print("truncated.flac warnings:", report.warnings.map(\.description))
        let decoded = report.audio.samples.count
        #expect(report.warnings == [.truncated(url, expectedFrames: 176_000, decodedFrames: decoded)])
        #expect(decoded > 40_000 && decoded < 176_000)
        let complete = try decoder.decode(contentsOf: Fixtures.sample("audio/jfk.wav"))
        #expect(report.audio.samples == Array(complete.samples.prefix(decoded)))
        #expect(throws: AudioDecodingError.self) { try AudioDecoder(truncation: .fail).decode(contentsOf: url) }
    }

    @Test func nonFiniteFloatSamplesBecomeSilenceWithAWarning() throws {
        let folder = try Fixtures.temporaryDirectory("loom-audio")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("nan.wav")
        try AudioTestSupport.writeWAV([0.25, .nan, -0.5, .infinity, 0.125, -.infinity], channels: 1, sampleRate: 16_000,
                                      encoding: .float32, to: url)
        let report = try decoder.decodeWithReport(contentsOf: url)
        #expect(report.audio.samples == [0.25, 0, -0.5, 0, 0.125, 0])
        #expect(report.warnings == [.nonFiniteSamplesReplaced(url, count: 3)])
    }

    /// Found by Fuzz/ (fuzz-audio): two channels near Float.greatestFiniteMagnitude summed to infinity
    /// in the downmix, so the decode handed out infinite samples (the resampler then NaN).
    @Test func floatSamplesBeyondFullScaleAreClippedNotInfinite() throws {
        let folder = try Fixtures.temporaryDirectory("loom-audio")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("loud.wav")
        try AudioTestSupport.writeWAV([3e38, 3e38, -3e38, -3e38, 1.5, 0.5, 0.25, 0.5, -4, 1], channels: 2,
                                      sampleRate: 16_000, encoding: .float32, to: url)
        #expect(try decoder.decode(contentsOf: url).samples == [1, -1, 1, 0.375, -1])
        let resampled = try decoder.decode(contentsOf: url, targetSampleRate: 44_100).samples
        #expect(!resampled.isEmpty && resampled.allSatisfy(\.isFinite))
    }

    /// Cut and damaged copies of every compressed sample: each decodes to something or throws an
    /// AudioDecodingError naming the file, and never crashes or hangs.
    @Test(arguments: ["jfk.flac", "jfk.ogg", "jfk.opus", "jfk.mp3"])
    func damagedCompressedFilesNeverCrash(name: String) throws {
        let folder = try Fixtures.temporaryDirectory("loom-audio")
        defer { try? FileManager.default.removeItem(at: folder) }
        let original = try Data(contentsOf: Fixtures.sample("audio/\(name)"))
        var variants: [(String, Data)] = []
        for length in [1, 12, 100, 1_000, original.count / 3, original.count - 1] {
            variants.append(("cut\(length)", original.prefix(length)))
        }
        var generator = SplitMix64(seed: 7)
        for round in 0..<4 {
            var damaged = original
            for _ in 0..<(20 * (round + 1)) {
                let index = Int(generator.next() % UInt64(damaged.count))
                damaged[index] = UInt8(truncatingIfNeeded: generator.next())
            }
            variants.append(("damaged\(round)", damaged))
        }
        for (label, data) in variants {
            let url = folder.appendingPathComponent("\(label)-\(name)")
            try data.write(to: url)
            do {
                let report = try decoder.decodeWithReport(contentsOf: url)
                #expect(report.audio.samples.allSatisfy { $0.isFinite })
                print("\(label)-\(name): decoded \(report.audio.duration) s, warnings \(report.warnings.count)")
            } catch let error as AudioDecodingError {
                #expect(error.url == url)
                print("\(label)-\(name): \(error)")
            }
        }
    }
}

/// A seeded generator so the damaged files are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Headers that lie about the length in ways real writers do, or damage does.
@Suite struct AudioHeaderLengthTests {
    /// A FLAC header claiming 2^36 - 1 frames (the field's maximum) must not make the decoder reserve
    /// 256 GB; it decodes the 11 s that are there and warns.
    @Test func flacClaimingAnAbsurdLengthDecodesWhatIsThere() throws {
        let folder = try Fixtures.temporaryDirectory("loom-audio")
        defer { try? FileManager.default.removeItem(at: folder) }
        var bytes = [UInt8](try Data(contentsOf: Fixtures.sample("audio/jfk.flac")))
        // "fLaC", a 4-byte block header, then STREAMINFO; its total-samples field is the low 36 bits
        // of the big-endian 64-bit word at STREAMINFO offset 10 (file offset 18).
        #expect(Array(bytes[0..<4]) == Array("fLaC".utf8))
        bytes[21] |= 0x0F
        for index in 22...25 { bytes[index] = 0xFF }
        let url = folder.appendingPathComponent("absurd-length.flac")
        try Data(bytes).write(to: url)
        #expect(try AudioDecoder.probe(url).frames == (1 << 36) - 1)
        let report = try AudioDecoder().decodeWithReport(contentsOf: url)
        #expect(report.audio.samples.count == 176_000)
        #expect(report.warnings == [.truncated(url, expectedFrames: (1 << 36) - 1, decodedFrames: 176_000)])
    }

    /// Written by sox to a pipe: a FLAC with no length and a WAV whose sizes are sox's 0x7FFFF000
    /// placeholder. Both decode fully, with no truncation warning.
    @Test(arguments: ["piped_no_length.flac", "piped_placeholder_size.wav"])
    func streamedFilesWithoutALengthDecodeFully(name: String) throws {
        let url = Fixtures.url("audio/\(name)")
        let info = try AudioDecoder.probe(url)
        let report = try AudioDecoder().decodeWithReport(contentsOf: url)
        let truth = try AudioDecoder().decode(contentsOf: Fixtures.url("audio/arctic_head_pcm16.wav"))
        print(name, "header frames", info.frames as Any, "decoded", report.audio.samples.count)
        #expect(report.warnings.isEmpty)
        #expect(report.audio.samples == truth.samples)
    }
}
