import Foundation
import LoomPipeline
import LoomTestSupport
import Testing

/// Every pipeline in Pipelines/ parses and validates as shipped.
@Suite struct PipelineFilesTests {
    static let files: [URL] = {
        let folder = Fixtures.repositoryRoot.appendingPathComponent("Pipelines")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { folder.appendingPathComponent($0) }
    }()

    @Test func theShippedPipelinesAreThere() {
        let names = Set(Self.files.map { $0.deletingPathExtension().lastPathComponent })
        #expect(names.isSuperset(of: ["caption-folder", "ask-images", "transcribe-folder", "index-media", "demo"]))
    }

    @Test(arguments: files) func validates(_ file: URL) throws {
        let plan = try PipelineValidator.validate(try PipelineParser.parse(contentsOf: file))
        #expect(!plan.steps.isEmpty)
        // Needs come before the steps that need them.
        for (index, step) in plan.steps.enumerated() {
            for need in step.needs { #expect(plan.steps[..<index].contains { $0.id == need }) }
        }
    }
}
