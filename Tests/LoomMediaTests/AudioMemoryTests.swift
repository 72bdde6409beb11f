import Foundation
import LoomMedia
import LoomTestSupport
import Testing

/// `decodeWithReport(data:name:)` decodes bytes in memory (libsndfile's virtual I/O) exactly as the
/// file holding them decodes, and its errors and warnings name what the caller called the bytes.
@Suite struct AudioMemoryTests {
    @Test(arguments: [
        "jfk.wav", "jfk.flac", "jfk.mp3", "jfk.ogg", "jfk.opus", "arctic_a0007_8k.wav", "arctic_a0007_44k_stereo.flac",
    ])
    func bytesInMemoryDecodeLikeTheFile(name: String) throws {
        let url = Fixtures.sample("audio/\(name)")
        let fromFile = try AudioDecoder().decodeWithReport(contentsOf: url)
        let fromMemory = try AudioDecoder().decodeWithReport(data: Data(contentsOf: url), name: url.path)
        #expect(fromMemory.info == fromFile.info)
        #expect(fromMemory.warnings == fromFile.warnings)
        #expect(fromMemory.audio.samples.count == fromFile.audio.samples.count)
        #expect(maxAbsDiff(fromMemory.audio.samples, fromFile.audio.samples) == 0)
    }

    @Test func truncatedBytesKeepWhatIsThereWithAWarningNamingThem() throws {
        let url = Fixtures.url("audio/truncated.wav")
        let fromFile = try AudioDecoder().decodeWithReport(contentsOf: url)
        let decoded = try AudioDecoder().decodeWithReport(data: Data(contentsOf: url), name: "upload.wav")
        let named = URL(fileURLWithPath: "upload.wav")
        guard case .truncated(let fileURL, let expected, let decodedFrames) = try #require(fromFile.warnings.first) else {
            Issue.record("the file decode has no truncation warning: \(fromFile.warnings)")
            return
        }
        #expect(fileURL == url)
        #expect(decoded.warnings == [.truncated(named, expectedFrames: expected, decodedFrames: decodedFrames)])
        #expect(decoded.audio.samples == fromFile.audio.samples)
    }

    @Test func badBytesGiveTheFileErrorsNamingThem() throws {
        let named = URL(fileURLWithPath: "upload.wav")
        func error(_ data: Data) -> AudioDecodingError? {
            do {
                _ = try AudioDecoder().decodeWithReport(data: data, name: "upload.wav")
                return nil
            } catch let error as AudioDecodingError {
                #expect(error.description.contains(named.path))
                return error
            } catch {
                Issue.record("not an AudioDecodingError: \(error)")
                return nil
            }
        }
        #expect(error(Data()) == .emptyFile(named))
        #expect(error(try Data(contentsOf: Fixtures.url("audio/header_only.wav"))) == .noAudio(named))
        #expect(error(try Data(contentsOf: Fixtures.url("audio/absurd_rate.wav"))) == .unsupportedSampleRate(named, 4_000_000))
        guard case .unsupportedOrCorrupt(let url, let message) = error(try Data(contentsOf: Fixtures.url("audio/random_bytes.wav"))) else {
            Issue.record("random bytes are not refused as unsupported")
            return
        }
        #expect(url == named && !message.isEmpty)
    }
}
