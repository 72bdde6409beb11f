import Foundation
import LoomGeneration
import LoomMedia
import LoomTestSupport
import Testing
@testable import LoomTasks

/// Real models through `SharedModels` used by many callers: two threads share one loaded Whisper and
/// one Llama and get what each gets alone; the async façades stop within one window or one token
/// when their task is cancelled, and with the callback's error when it throws.
@Suite(.serialized) struct SharedModelsTests {
    static let whisperName = "whisper-tiny.en"
    static let llamaName = "smollm2-135m-instruct"
    static let llamaFile = "SmolLM2-135M-Instruct.Q4_1.gguf"

    static func whisperFolder() -> URL? { InstalledModels.file(whisperName, "model.bin")?.deletingLastPathComponent() }

    static func audio(_ name: String) throws -> AudioBuffer {
        try AudioDecoder().decode(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("Samples/audio/\(name)"), targetSampleRate: 16_000)
    }

    static var englishGreedy: WhisperTranscribeOptions {
        var options = WhisperTranscribeOptions()
        options.temperatures = [0]
        options.decoding.language = "en"
        return options
    }

    /// Runs the bodies on threads of their own, all at once, and returns their results in order.
    static func together<T: Sendable>(_ bodies: [@Sendable () throws -> T]) throws -> [T] {
        let results = Collected<Result<T, any Error>>(count: bodies.count)
        let start = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        for (index, body) in bodies.enumerated() {
            group.enter()
            let thread = Thread {
                start.wait()
                results.set(index, Result { try body() })
                group.leave()
            }
            thread.stackSize = 16 << 20
            thread.start()
        }
        for _ in bodies { start.signal() }
        group.wait()
        return try results.values.map { try $0!.get() }
    }

    @Test func oneKeyGivesOneInstance() throws {
        guard let folder = Self.whisperFolder() else { return }
        let models = SharedModels()
        let first = try models.whisper(at: folder, threads: 2)
        #expect(try models.whisper(at: folder, threads: 2) === first)
        #expect(try models.whisper(at: folder.appendingPathComponent("."), threads: 2) === first, "the same folder")
    }

    @Test func twoThreadsShareOneWhisper() throws {
        guard let folder = Self.whisperFolder() else { return }
        let whisper = try SharedModels().whisper(at: folder, threads: 2)
        let jfk = try Self.audio("jfk.wav"), arctic = try Self.audio("arctic_a0007.wav")
        let options = Self.englishGreedy
        let aloneJFK = try whisper.transcribe(jfk, options: options)
        let aloneArctic = try whisper.transcribe(arctic, options: options)
        #expect(aloneJFK.text.contains("ask not what your country can do for you"))

        let shared = try Self.together([
            { @Sendable in try whisper.transcribe(jfk, options: options) },
            { @Sendable in try whisper.transcribe(arctic, options: options) },
            { @Sendable in try whisper.transcribe(jfk, options: options) },
        ])
        #expect(Self.same(shared[0], aloneJFK) && Self.same(shared[2], aloneJFK), "jfk: \(shared[0].text)")
        #expect(Self.same(shared[1], aloneArctic), "arctic: \(shared[1].text)")
    }

    /// The same tokens, text and times; probabilities within 1e-6. Loom's own loops give the same
    /// chunks on either path (LoomTensor/Threads.swift), but OpenBLAS, called from two threads at once,
    /// may split a product otherwise and sum in another order: the log-probabilities then differ in
    /// the eighth digit (seen: -0.30079878 vs -0.30079886), never the decoding.
    static func same(_ a: Transcript, _ b: Transcript) -> Bool {
        a.text == b.text && a.language == b.language && a.segments.count == b.segments.count
            && zip(a.segments, b.segments).allSatisfy { x, y in
                x.tokens == y.tokens && x.text == y.text && x.start == y.start && x.end == y.end && x.seek == y.seek
                    && abs(x.avgLogprob - y.avgLogprob) < 1e-6 && abs(x.noSpeechProb - y.noSpeechProb) < 1e-6
                    && x.compressionRatio == y.compressionRatio && x.temperature == y.temperature
            }
    }

    @Test func twoThreadsShareOneLlama() throws {
        guard let file = InstalledModels.file(Self.llamaName, Self.llamaFile) else { return }
        let generation = try SharedModels().textGeneration(at: file)
        let stop = StopRules(maxTokens: 24, eosTokenIDs: generation.endOfGenerationTokens)
        let prompts = try ["What is the capital of France?", "Write one sentence about the sea."].map {
            try generation.promptTokens($0, system: nil, chat: true)
        }
        @Sendable func run(_ prompt: [Int]) throws -> GenerationResult {
            try generation.generate(prompt: prompt, sampling: .greedy, stop: stop) { _ in }
        }
        let alone = try prompts.map(run)
        #expect(alone.allSatisfy { $0.tokens.count > 5 })

        let shared = try Self.together([
            { @Sendable in try run(prompts[0]) }, { @Sendable in try run(prompts[1]) }, { @Sendable in try run(prompts[0]) },
        ])
        for (result, expected) in zip(shared, [alone[0], alone[1], alone[0]]) {
            #expect(result.tokens == expected.tokens && result.text == expected.text, "\(result.text ?? "") vs \(expected.text ?? "")")
        }
    }

    @Test func cancellingAGenerationStopsWithinOneToken() async throws {
        guard let file = InstalledModels.file(Self.llamaName, Self.llamaFile) else { return }
        let generation = try SharedModels().textGeneration(at: file)
        let prompt = try generation.promptTokens("Tell me a long story about a lighthouse.", system: nil, chat: true)
        let pieces = Counter()
        let task = Task {
            try await generation.generate(prompt: prompt, sampling: .greedy, stop: StopRules(maxTokens: 200)) { _ in
                if pieces.increment() == 3 { withUnsafeCurrentTask { $0?.cancel() } }
            }
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(pieces.value == 3, "no token after the one during which the task was cancelled")
    }

    @Test func aThrowingCallbackStopsAGenerationWithItsError() async throws {
        guard let file = InstalledModels.file(Self.llamaName, Self.llamaFile) else { return }
        struct ClientWentAway: Error {}
        let generation = try SharedModels().textGeneration(at: file)
        let prompt = try generation.promptTokens("Tell me a long story about a lighthouse.", system: nil, chat: true)
        let pieces = Counter()
        await #expect(throws: ClientWentAway.self) {
            try await generation.generate(prompt: prompt, sampling: .greedy, stop: StopRules(maxTokens: 200)) { _ in
                if pieces.increment() == 2 { throw ClientWentAway() }
            }
        }
        #expect(pieces.value == 2)
    }

    @Test func cancellingATranscriptionStopsWithinOneWindow() async throws {
        guard let folder = Self.whisperFolder() else { return }
        let whisper = try SharedModels().whisper(at: folder, threads: 2)
        let jfk = try Self.audio("jfk.wav")
        // 99 s of speech: four 30-second windows.
        let long = AudioBuffer(sampleRate: 16_000, samples: Array([[Float]](repeating: jfk.samples, count: 9).joined()))
        let windows = Counter()
        let task = Task {
            try await whisper.transcribe(long, options: Self.englishGreedy) { _, _ in
                if windows.increment() == 1 { withUnsafeCurrentTask { $0?.cancel() } }
            }
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(windows.value == 1, "no window after the one during which the task was cancelled")

        struct Enough: Error {}
        let seen = Counter()
        await #expect(throws: Enough.self) {
            try await whisper.transcribe(long, options: Self.englishGreedy) { _, _ in
                if seen.increment() == 2 { throw Enough() }
            }
        }
        #expect(seen.value == 2)
    }
}

/// A count several threads bump.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    /// Adds one; returns the new count.
    func increment() -> Int { lock.lock(); defer { lock.unlock() }; count += 1; return count }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}

/// One slot per thread, filled from several threads.
final class Collected<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Value?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: Value) { lock.lock(); slots[index] = value; lock.unlock() }
    var values: [Value?] { lock.lock(); defer { lock.unlock() }; return slots }
}
