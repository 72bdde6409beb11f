import Foundation
import LoomPipeline
import LoomTestSupport
import Testing

/// Malformed pipeline files: each kind of mistake is reported at its file:line:column.
@Suite struct ValidationErrorTests {
    static let good = """
        name: t
        inputs:
          - path: media
        models:
          vlm: some-model
        steps:
          decode:
            uses: decode
          caption:
            uses: caption
            needs: [decode]
            model: vlm
          out:
            uses: write
            needs: [caption]
            with:
              formats: [txt]
        """

    /// The single error `yaml` gives, checked for kind and location.
    func error(_ yaml: String, _ overrides: PipelineOverrides = PipelineOverrides()) throws -> PipelineError {
        let file = try PipelineFile(yaml)
        defer { file.remove() }
        let errors = pipelineErrors { _ = try file.plan(overrides) }
        try #require(errors.count == 1, "\(errors)")
        print("reported:", errors[0].description.replacingOccurrences(of: file.folder.path + "/", with: ""))
        return errors[0]
    }

    func expect(_ error: PipelineError, _ kind: PipelineError.Kind, line: Int, column: Int, _ text: String,
                sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(error.kind == kind, sourceLocation: sourceLocation)
        #expect(error.location?.line == line && error.location?.column == column, "\(error)", sourceLocation: sourceLocation)
        #expect(error.description.contains("p.yaml:\(line):\(column): "), sourceLocation: sourceLocation)
        #expect(error.message.contains(text), "\(error.message)", sourceLocation: sourceLocation)
    }

    @Test func theBaseFileIsValid() throws {
        let file = try PipelineFile(Self.good)
        defer { file.remove() }
        let plan = try file.plan()
        #expect(plan.steps.map(\.id) == ["decode", "caption", "out"])
        #expect(plan.step("caption")?.parameters["max_tokens"] == .integer(64), "defaults are filled in")
        #expect(plan.step("out")?.mediaKinds == [.image], "caption narrows the write step to images")
    }

    @Test func yamlSyntax() throws {
        let e = try error(Self.good.replacingOccurrences(of: "needs: [decode]", with: "needs: [decode"))
        expect(e, .syntax, line: 12, column: 10, "YAML: did not find expected ',' or ']'")
    }

    @Test func duplicateKey() throws {
        let e = try error(Self.good + "\n  decode:\n    uses: decode\n")
        #expect(e.kind == .syntax && e.message.contains("duplicate key decode"), "\(e)")
        #expect(e.location?.line ?? 0 > 0)
    }

    @Test func unknownTopLevelKey() throws {
        expect(try error("colour: red\n" + Self.good), .unknownKey, line: 1, column: 1, "unknown key 'colour'")
    }

    @Test func unknownStepKind() throws {
        let e = try error(Self.good.replacingOccurrences(of: "uses: caption", with: "uses: captoin"))
        expect(e, .unknownStep, line: 10, column: 11, "unknown step kind 'captoin'; use one of decode, caption, ask")
    }

    @Test func unknownParameter() throws {
        let e = try error(Self.good.replacingOccurrences(of: "formats: [txt]", with: "formats: [txt]\n      colour: red"))
        expect(e, .unknownParameter, line: 18, column: 7, "unknown parameter 'colour'; it takes formats, suffix")
    }

    @Test func wrongType() throws {
        let e = try error(Self.good.replacingOccurrences(of: "model: vlm", with: "model: vlm\n    with:\n      max_tokens: many"))
        expect(e, .wrongType, line: 14, column: 7, "max_tokens: expected an integer in 1...1024, got 'many'")
        let quoted = try error(Self.good.replacingOccurrences(of: "model: vlm", with: "model: vlm\n    with:\n      max_tokens: \"12\""))
        expect(quoted, .wrongType, line: 14, column: 7, "got a quoted string")
        let list = try error(Self.good.replacingOccurrences(of: "formats: [txt]", with: "formats: [txt, docx]"))
        expect(list, .wrongType, line: 17, column: 7, "'docx' is not one of txt, srt, vtt, tsv, json")
    }

    @Test func missingModel() throws {
        let e = try error(Self.good.replacingOccurrences(of: "model: vlm", with: "model: vision"))
        expect(e, .missingModel, line: 12, column: 12, "model 'vision' is not declared under models: (declared: vlm)")
    }

    @Test func missingRequiredParameter() throws {
        let e = try error(Self.good.replacingOccurrences(of: "uses: caption", with: "uses: ask"))
        expect(e, .missingKey, line: 9, column: 3, "missing parameter 'question'")
    }

    @Test func unknownNeed() throws {
        let e = try error(Self.good.replacingOccurrences(of: "needs: [caption]", with: "needs: [captions]"))
        expect(e, .unknownNeed, line: 15, column: 13, "needs 'captions', which is not a step here")
    }

    @Test func cycle() throws {
        let yaml = Self.good.replacingOccurrences(of: "needs: [decode]", with: "needs: [decode, out]")
        let e = try error(yaml)
        expect(e, .cycle, line: 9, column: 3, "cycle: caption -> out -> caption")
    }

    @Test func incompatibleNeed() throws {
        let file = try PipelineFile(Self.good.replacingOccurrences(of: "needs: [caption]", with: "needs: [decode]"))
        defer { file.remove() }
        let errors = pipelineErrors { _ = try file.plan() }
        print(errors)
        let e = try #require(errors.first { $0.kind == .incompatibleInput })
        expect(e, .incompatibleInput, line: 15, column: 13, "takes embeddings or text or transcript, but 'decode' (decode) gives media")
        let noNeeds = try error(Self.good.replacingOccurrences(of: "    needs: [decode]\n", with: ""))
        expect(noNeeds, .missingKey, line: 9, column: 3, "has no needs")
    }

    @Test func stepForMediaTheInputsNeverGive() throws {
        let yaml = Self.good.replacingOccurrences(of: "  - path: media", with: "  - path: media\n    media: [audio]")
        let errors = pipelineErrors {
            let file = try PipelineFile(yaml)
            defer { file.remove() }
            _ = try file.plan()
        }
        #expect(errors.contains { $0.kind == .incompatibleInput && $0.message.contains("works on image") }, "\(errors)")
    }

    @Test func twoStepsWritingTheSameFiles() throws {
        let yaml = Self.good + "\n  again:\n    uses: write\n    needs: [caption]\n    with:\n      formats: [json, txt]\n"
        expect(try error(yaml), .outputCollision, line: 18, column: 3, "'out' and 'again' would both write NAME.txt")
        // A suffix keeps them apart.
        let file = try PipelineFile(yaml + "      suffix: .b\n")
        defer { file.remove() }
        _ = try file.plan()
    }

    @Test func timedFormatsNeedATranscript() throws {
        let e = try error(Self.good.replacingOccurrences(of: "formats: [txt]", with: "formats: [srt]"))
        expect(e, .badValue, line: 17, column: 7, "srt, vtt and tsv need a transcript")
    }

    @Test func badInputsAndPolicies() throws {
        let missing = try error(Self.good.replacingOccurrences(of: "path: media", with: "path: nowhere"))
        expect(missing, .badValue, line: 3, column: 5, "no such file or folder")
        let policy = try error(Self.good + "\non_error: retry\n")
        expect(policy, .badValue, line: 18, column: 11, "'retry' is not skip or stop")
        let concurrency = try error(Self.good + "\nconcurrency: 0\n")
        expect(concurrency, .wrongType, line: 18, column: 14, "concurrency: expected an integer in 1...64")
    }

    /// A FIFO as the input would block the walk's first read; it is refused before anything runs.
    @Test func inputThatIsNotARegularFile() throws {
        let file = try PipelineFile(Self.good.replacingOccurrences(of: "path: media", with: "path: media/fifo.png"))
        defer { file.remove() }
        try SpecialFiles.makeFIFO(file.folder.appendingPathComponent("media/fifo.png"))
        let errors = pipelineErrors { _ = try file.plan() }
        #expect(errors.count == 1 && errors.first?.kind == .badValue, "\(errors)")
        #expect(errors.first?.description.contains("fifo.png: not a regular file") == true, "\(errors)")
    }

    @Test func severalErrorsAreReportedTogether() throws {
        let yaml = Self.good.replacingOccurrences(of: "uses: decode", with: "uses: decoder")
            .replacingOccurrences(of: "model: vlm", with: "model: nope")
        let file = try PipelineFile(yaml)
        defer { file.remove() }
        let errors = pipelineErrors { _ = try file.plan() }
        #expect(Set(errors.map(\.kind)) == [.unknownStep, .missingModel], "\(errors)")
        let text = PipelineErrors(errors).description
        #expect(text.contains("p.yaml:8:11: step 'decode': unknown step kind 'decoder'"), "\(text)")
    }

    @Test func commandLineOverridesAreCheckedToo() throws {
        let bad = try error(Self.good, PipelineOverrides(settings: ["caption.max_tokens=0"]))
        #expect(bad.kind == .wrongType && bad.description.hasPrefix("--set caption.max_tokens=0: "), "\(bad)")
        #expect(bad.message.contains("0 is outside 1...1024"))
        let step = try error(Self.good, PipelineOverrides(settings: ["captoin.prompt=hi"]))
        #expect(step.kind == .unknownStep && step.message.contains("no step 'captoin'"))
        let form = try error(Self.good, PipelineOverrides(settings: ["prompt"]))
        #expect(form.kind == .syntax && form.message.contains("STEP.PARAMETER=VALUE"))

        let file = try PipelineFile(Self.good)
        defer { file.remove() }
        let plan = try file.plan(PipelineOverrides(settings: ["caption.max_tokens=12", "models.vlm=/x/y", "out.formats=txt,json"]))
        #expect(plan.step("caption")?.parameters["max_tokens"] == .integer(12))
        #expect(plan.spec.model(named: "vlm")?.source == "/x/y")
        #expect(plan.step("out")?.parameters["formats"] == .list(["txt", "json"]))
    }
}
