import Foundation
import LoomTestSupport
import Testing
@testable import LoomTasks

/// Expected files come from openai-whisper's own writers (Scripts/reference/dump_writers.py).
@Suite struct TranscriptFormatTests {
    let transcript: Transcript

    init() throws {
        transcript = try JSONDecoder().decode(Transcript.self, from: Data(contentsOf: Fixtures.url("writers/transcript.json")))
    }

    @Test(arguments: [TranscriptFormat.txt, .srt, .vtt, .tsv])
    func matchesOpenAIWhisper(format: TranscriptFormat) throws {
        let expected = try String(contentsOf: Fixtures.url("writers/expected.\(format.rawValue)"), encoding: .utf8)
        #expect(try format.render(transcript) == expected)
    }

    @Test func jsonRoundTripsWithWhisperKeys() throws {
        let json = try TranscriptFormat.json.render(transcript)
        #expect(json.contains("\"avg_logprob\"") && json.contains("\"no_speech_prob\""))
        #expect(try JSONDecoder().decode(Transcript.self, from: Data(json.utf8)) == transcript)
    }

    @Test func timestampsRoundHalvesToEvenLikePython() {
        #expect(TranscriptFormat.timestamp(0.0125, alwaysHours: false, marker: ".") == "00:00.012")
        #expect(TranscriptFormat.timestamp(7325.5, alwaysHours: false, marker: ".") == "02:02:05.500")
        #expect(TranscriptFormat.timestamp(-1, alwaysHours: true, marker: ",") == "00:00:00,000")
    }
}

@Suite struct OutputPlanTests {
    let root = URL(fileURLWithPath: "/data/talks", isDirectory: true)

    @Test func besideTheInputWithoutAnOutputFolder() throws {
        let input = root.appendingPathComponent("a/intro.wav")
        let plan = try OutputPlan(inputs: [input], extensions: ["srt", "json"], outputFolder: nil)
        #expect(plan.output(for: input, extension: "srt")?.path == "/data/talks/a/intro.srt")
    }

    @Test func sameStemInTwoFoldersKeepsTheFolders() throws {
        let a = root.appendingPathComponent("a/intro.wav"), b = root.appendingPathComponent("b/intro.wav")
        let out = URL(fileURLWithPath: "/out", isDirectory: true)
        let plan = try OutputPlan(inputs: [a, b], extensions: ["txt"], outputFolder: out)
        #expect(plan.output(for: a, extension: "txt")?.path == "/out/a/intro.txt")
        #expect(plan.output(for: b, extension: "txt")?.path == "/out/b/intro.txt")
        // One input: straight into the output folder.
        let single = try OutputPlan(inputs: [a], extensions: ["txt"], outputFolder: out)
        #expect(single.output(for: a, extension: "txt")?.path == "/out/intro.txt")
    }

    @Test func collisionsAndInputsAreRefused() {
        let wav = root.appendingPathComponent("intro.wav"), mp3 = root.appendingPathComponent("intro.mp3")
        #expect(throws: OutputPlan.PlanError.self) {
            try OutputPlan(inputs: [wav, mp3], extensions: ["srt"], outputFolder: nil)
        }
        let text = root.appendingPathComponent("notes.txt")
        #expect(throws: OutputPlan.PlanError.wouldOverwriteInput("/data/talks/notes.txt")) {
            try OutputPlan(inputs: [text], extensions: ["txt"], outputFolder: nil)
        }
    }

    @Test func atomicWriteReplacesWholeFiles() throws {
        let folder = try Fixtures.temporaryDirectory("loom-write")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("sub/out.txt")
        try AtomicFile.write(Data("first\n".utf8), to: file)
        try AtomicFile.write(Data("second\n".utf8), to: file)
        #expect(try String(contentsOf: file, encoding: .utf8) == "second\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: file.deletingLastPathComponent().path) == ["out.txt"])
    }
}
