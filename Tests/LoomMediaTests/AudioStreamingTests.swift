import Foundation
import LoomMedia
import LoomTestSupport
import Testing

/// `decodeChunks` hands out fixed-length windows that concatenate to the whole decode.
@Suite struct AudioStreamingTests {
    @Test(arguments: [
        ("jfk.wav", 3.0), ("jfk.mp3", 2.5), ("arctic_a0007_44k_stereo.flac", 1.0), ("arctic_a0007_8k.wav", 30.0),
    ])
    func chunksConcatenateToTheWholeDecode(name: String, chunkSeconds: Double) throws {
        // A small read block puts many block boundaries (and resampler calls) inside each chunk.
        let decoder = AudioDecoder(framesPerRead: 5_000)
        let url = Fixtures.sample("audio/\(name)")
        let whole = try AudioDecoder().decode(contentsOf: url)
        var chunks: [AudioBuffer] = []
        let report = try decoder.decodeChunks(contentsOf: url, chunkSeconds: chunkSeconds) { chunks.append($0) }
        let joined = chunks.flatMap(\.samples)
        let chunkSamples = Int(chunkSeconds * 16_000)
        #expect(chunks.dropLast().allSatisfy { $0.samples.count == chunkSamples })
        #expect(chunks.count == (whole.samples.count + chunkSamples - 1) / chunkSamples)
        #expect(report.chunkCount == chunks.count && report.outputFrames == joined.count)
        #expect(joined.count == whole.samples.count)
        let diff = maxAbsDiff(joined, whole.samples)
        print("\(name) chunked (\(chunks.count) x \(chunkSeconds) s) vs whole maxdiff", diff)
        #expect(diff == 0)
    }

    @Test func anErrorFromTheBodyStopsTheDecode() throws {
        struct Stop: Error {}
        var calls = 0
        #expect(throws: Stop.self) {
            try AudioDecoder().decodeChunks(contentsOf: Fixtures.sample("audio/jfk.wav"), chunkSeconds: 1) { _ in
                calls += 1
                if calls == 2 { throw Stop() }
            }
        }
        #expect(calls == 2)
    }
}
