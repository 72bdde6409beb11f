import Foundation
import LoomTestSupport
import Testing

/// `loom transcribe` on the real whisper-tiny.en (pulled by `make test`).
@Suite(.serialized) struct TranscribeCommandTests {
    @Test func writesEveryFormatSkipsFinishedWorkAndReportsBadFiles() throws {
        guard InstalledModels.file("whisper-tiny.en", "model.bin") != nil else { return }
        let out = try Fixtures.temporaryDirectory("loom-transcribe")
        defer { try? FileManager.default.removeItem(at: out) }
        let arguments = ["transcribe", "--model", "whisper-tiny.en", "--beam", "1", "--format", "txt,srt,vtt,json",
                         "--output-dir", out.path, "Samples/audio/arctic_a0007.wav", "Tests/Fixtures/audio/random_bytes.wav"]
        let first = try CLIRunner.run(arguments)
        #expect(first.status == 1, "one input is broken")
        #expect(first.stderr.contains("random_bytes.wav") && first.stderr.contains("1 transcribed, 0 skipped, 1 failed"))
        let outputs = out.appendingPathComponent("Samples/audio")
        let srt = try String(contentsOf: outputs.appendingPathComponent("arctic_a0007.srt"), encoding: .utf8)
        #expect(srt.hasPrefix("1\n00:00:00,0"), "VAD (on by default) keeps the speech start within the first 100 ms")
        #expect(srt.contains("and you always want to see it in the superlative degree."))
        #expect(try String(contentsOf: outputs.appendingPathComponent("arctic_a0007.vtt"), encoding: .utf8).hasPrefix("WEBVTT\n\n"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: outputs.appendingPathComponent("arctic_a0007.json"))) as? [String: Any]
        #expect(json?["language"] as? String == "en")

        // Finished inputs are not redone; the broken one is tried (and fails) again.
        let second = try CLIRunner.run(arguments)
        #expect(second.stderr.contains("0 transcribed, 1 skipped, 1 failed"))
    }

    @Test func beamSearchAndStdoutText() throws {
        guard InstalledModels.file("whisper-tiny.en", "model.bin") != nil else { return }
        let out = try Fixtures.temporaryDirectory("loom-transcribe")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try CLIRunner.run(["transcribe", "--model", "whisper-tiny.en", "--format", "txt",
                                        "--output-dir", out.path, "Samples/audio/arctic_a0007_44k_stereo.flac"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("you always want to see it in the superlative degree"))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("arctic_a0007_44k_stereo.txt").path))
    }

    @Test func refusesCollidingOutputsAndBadOptions() throws {
        let collide = try CLIRunner.run(["transcribe", "Samples/audio/jfk.wav", "Samples/audio/jfk.flac", "--format", "txt"])
        #expect(collide.status != 0 && collide.stderr.contains("would both write"))
        let format = try CLIRunner.run(["transcribe", "Samples/audio/jfk.wav", "--format", "docx"])
        #expect(format.status != 0 && format.stderr.contains("unknown format 'docx'"))
        let model = try CLIRunner.run(["transcribe", "Samples/audio/jfk.wav", "--model", "no-such-model", "--output-dir", "/tmp/loom-unused"])
        #expect(model.status != 0 && model.stderr.contains("unknown model 'no-such-model'"))
    }

    /// VAD is on by default: silence gives empty outputs that are still written (a batch stays
    /// complete), and without the VAD model the error says how to get it or turn VAD off.
    @Test func silenceGivesEmptyOutputsByDefault() throws {
        guard InstalledModels.file("whisper-tiny.en", "model.bin") != nil,
              InstalledModels.file("silero-vad", "silero_vad_16k_op15.onnx") != nil else { return }
        let out = try Fixtures.temporaryDirectory("loom-transcribe-silence")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try CLIRunner.run(["transcribe", "--model", "whisper-tiny.en", "--beam", "1", "--format", "txt,srt,json,lrc",
                                        "--output-dir", out.path, "Tests/Fixtures/audio/silence_2s.flac", "Tests/Fixtures/audio/pink_noise_2s.flac"])
        #expect(result.status == 0, "\(result.stderr)")
        for name in ["silence_2s", "pink_noise_2s"] {
            let txt = try String(contentsOf: out.appendingPathComponent("\(name).txt"), encoding: .utf8)
            let srt = try String(contentsOf: out.appendingPathComponent("\(name).srt"), encoding: .utf8)
            let lrc = try String(contentsOf: out.appendingPathComponent("\(name).lrc"), encoding: .utf8)
            #expect(txt.isEmpty && srt.isEmpty && lrc == "[by:loom]\n", "\(name): \(txt)")
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("\(name).json"))) as? [String: Any]
            #expect(json?["text"] as? String == "" && (json?["segments"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func missingVADModelSaysPullOrTurnItOff() throws {
        guard let whisper = InstalledModels.file("whisper-tiny.en", "model.bin") else { return }
        let home = try Fixtures.temporaryDirectory("loom-empty-home")
        defer { try? FileManager.default.removeItem(at: home) }
        let result = try CLIRunner.run(["transcribe", "--model", whisper.deletingLastPathComponent().path, "--format", "txt",
                                        "--output-dir", home.path, "Samples/audio/arctic_a0007.wav"],
                                       environment: ["LOOM_HOME": home.path])
        #expect(result.status != 0 && result.stderr.contains("loom models pull silero-vad") && result.stderr.contains("--vad off"),
                "\(result.stderr)")
        let off = try CLIRunner.run(["transcribe", "--model", whisper.deletingLastPathComponent().path, "--format", "txt", "--vad", "off",
                                     "--output-dir", home.path, "Samples/audio/arctic_a0007.wav"],
                                    environment: ["LOOM_HOME": home.path])
        #expect(off.status == 0 && off.stdout.contains("superlative degree"), "\(off.stderr)")
    }

    /// Subtitle options that need word times, or an srt/vtt file to change, say what is missing.
    @Test func wordOptionsNeedWordTimestampsAndSubtitles() throws {
        let cases: [([String], String)] = [
            (["--max-line-width", "20"], "--max-line-width needs --word-timestamps"),
            (["--highlight-words", "--format", "srt"], "--highlight-words needs --word-timestamps"),
            (["--word-timestamps", "--max-line-count", "2", "--format", "srt"], "--max-line-count needs --max-line-width"),
            (["--word-timestamps", "--highlight-words", "--format", "json,txt"], "--highlight-words changes only srt and vtt files; add srt or vtt to --format"),
            (["--word-timestamps", "--max-line-width", "0"], "--max-line-width must be at least 1"),
        ]
        for (options, message) in cases {
            let result = try CLIRunner.run(["transcribe", "Samples/audio/jfk.wav", "--output-dir", "/tmp/loom-unused"] + options)
            #expect(result.status != 0 && result.stderr.contains(message), "\(options): \(result.stderr)")
        }
    }

    /// --word-timestamps: JSON words, srt cues cut at the width, an lrc file.
    @Test func wordTimestampsReachEveryOutput() throws {
        guard InstalledModels.file("whisper-tiny.en", "model.bin") != nil else { return }
        let out = try Fixtures.temporaryDirectory("loom-transcribe-words")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try CLIRunner.run(["transcribe", "--model", "whisper-tiny.en", "--beam", "1", "--word-timestamps",
                                        "--max-line-width", "24", "--max-line-count", "1", "--format", "json,srt,lrc",
                                        "--output-dir", out.path, "Samples/audio/jfk.wav"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("jfk.json"))) as? [String: Any]
        let segments = try #require(json?["segments"] as? [[String: Any]])
        let words = try #require(segments.first?["words"] as? [[String: Any]])
        #expect(words.first?["word"] as? String == " And" && words.allSatisfy { $0["start"] is Double && $0["probability"] is Double })
        let srt = try String(contentsOf: out.appendingPathComponent("jfk.srt"), encoding: .utf8)
        let lines = srt.split(separator: "\n").filter { !$0.contains("-->") && Int($0) == nil }
        #expect(lines.count > 4 && lines.allSatisfy { $0.count <= 24 }, "\(srt)")
        let lrc = try String(contentsOf: out.appendingPathComponent("jfk.lrc"), encoding: .utf8)
        #expect(lrc.hasPrefix("[by:loom]\n[00:00.00] And so my fellow Americans"), "\(lrc)")
    }
}
