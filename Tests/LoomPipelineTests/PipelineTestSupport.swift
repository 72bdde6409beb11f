import Foundation
import LoomMedia
import LoomPipeline
import LoomTestSupport

/// Writes `yaml` as `name` in a fresh folder (with a `media` folder beside it) and parses it.
struct PipelineFile {
    let folder: URL
    let url: URL

    init(_ yaml: String, name: String = "p.yaml") throws {
        folder = try Fixtures.temporaryDirectory("loom-pipeline")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("media"), withIntermediateDirectories: true)
        url = folder.appendingPathComponent(name)
        try Data(yaml.utf8).write(to: url)
    }

    func parse() throws -> PipelineSpec { try PipelineParser.parse(contentsOf: url) }
    func plan(_ overrides: PipelineOverrides = PipelineOverrides()) throws -> PipelinePlan {
        try PipelineValidator.validate(try overrides.apply(to: parse()))
    }

    func copy(_ sample: String, as name: String? = nil) throws {
        let source = Fixtures.sample(sample)
        try FileManager.default.copyItem(at: source, to: folder.appendingPathComponent("media").appendingPathComponent(name ?? source.lastPathComponent))
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}

/// The errors a pipeline gives, or [] when it is valid.
func pipelineErrors(_ body: () throws -> Void) -> [PipelineError] {
    do {
        try body()
        return []
    } catch let errors as PipelineErrors {
        return errors.errors
    } catch {
        return [PipelineError(.syntax, at: nil, "unexpected error: \(error)")]
    }
}

/// A stand-in vision-language model: describes images by their size and counts its calls, so tests
/// can run the caption and ask steps and see whether any model work happened.
final class FakeVisionEngine: VisionLanguageEngine, @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    /// Images with this width fail, to test per-item errors.
    let failingWidth: Int?

    init(failingWidth: Int? = nil) { self.failingWidth = failingWidth }

    var calls: Int { lock.lock(); defer { lock.unlock() }; return count }

    func caption(_ image: RGBImage, prompt: String, maxTokens: Int, tiling: Bool) throws -> String {
        lock.lock(); count += 1; lock.unlock()
        if image.width == failingWidth { throw UnavailableError(message: "fake engine refuses width \(image.width)") }
        return "an image of \(image.width)x\(image.height) pixels"
    }

    func answer(_ question: String, about image: RGBImage, maxTokens: Int, tiling: Bool) throws -> String {
        lock.lock(); count += 1; lock.unlock()
        return "\(question) -> \(image.width)"
    }
}

/// A folder that passes for a SmolVLM folder (the files VisionModelFolder requires); the fake engine
/// never reads it.
func fakeModelFolder(in folder: URL) throws -> URL {
    let model = folder.appendingPathComponent("fake-vlm")
    try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
    try Data("{}".utf8).write(to: model.appendingPathComponent("config.json"))
    for name in ["model.safetensors", "tokenizer.json", "preprocessor_config.json"] {
        try Data().write(to: model.appendingPathComponent(name))
    }
    return model
}

/// Every file under `folder` (relative path -> bytes), the cache left out.
func tree(_ folder: URL) -> [String: Data] {
    var files: [String: Data] = [:]
    guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return files }
    for case let url as URL in walker {
        let relative = String(url.standardizedFileURL.path.dropFirst(folder.standardizedFileURL.path.count + 1))
        if relative.hasPrefix(".loom-cache") { continue }
        if let data = try? Data(contentsOf: url), !url.hasDirectoryPath { files[relative] = data }
    }
    return files
}
