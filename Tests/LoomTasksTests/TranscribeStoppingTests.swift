import Foundation
@testable import LoomTasks
import LoomTensor
import Testing

/// Stopping a long transcription early, over the scripted fake model: a cancelled task or a progress
/// callback that throws ends the loop before the next window is encoded.
@Suite struct TranscribeStoppingTests {
    struct Outcome: Sendable {
        var windowsEncoded = 0
        var progressCalls = 0
        var error: (any Error)?
    }

    /// Four windows of unscripted audio (each decodes to an empty segment), greedy only.
    static func transcribe(_ onProgress: @escaping (Int) throws -> Void) -> Outcome {
        var outcome = Outcome()
        do {
            let (specials, nVocab) = try DecodingFixtures.specials(multilingual: false)
            let model = FakeWhisperModel(specials: specials, nVocab: nVocab, windows: [:])
            defer { outcome.windowsEncoded = model.log.encodedStarts.count }
            let decoding = WhisperDecoding(model: model, specials: specials, text: WordPerTokenText(), compressionRatio: { _ in 1 })
            var options = WhisperTranscribeOptions()
            options.temperatures = [0]
            _ = try WhisperTranscriber(decoding: decoding).transcribe(
                mel: TranscribeFakeModelTests.indexedMel(contentFrames: 12_000), options: options
            ) { _, _ in
                outcome.progressCalls += 1
                try onProgress(outcome.progressCalls)
            }
        } catch {
            outcome.error = error
        }
        return outcome
    }

    @Test func uninterruptedRunEncodesEveryWindow() {
        let outcome = Self.transcribe { _ in }
        #expect(outcome.error == nil && outcome.windowsEncoded == 4 && outcome.progressCalls == 4)
    }

    @Test func cancellingTheTaskStopsBeforeTheNextWindow() async {
        let outcome = await Task {
            Self.transcribe { window in
                if window == 1 { withUnsafeCurrentTask { $0?.cancel() } }
            }
        }.value
        #expect(outcome.error is CancellationError, "\(String(describing: outcome.error))")
        #expect(outcome.windowsEncoded == 1 && outcome.progressCalls == 1, "no window after the cancel")
    }

    @Test func aThrowingProgressCallbackStopsWithItsError() {
        struct Enough: Error {}
        let outcome = Self.transcribe { window in
            if window == 2 { throw Enough() }
        }
        #expect(outcome.error is Enough)
        #expect(outcome.windowsEncoded == 2, "no window after the callback threw")
    }
}
