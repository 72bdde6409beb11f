import Foundation
import LoomMedia

/// A parsed pipeline file, as written (checked for shape, not yet for meaning).
public struct PipelineSpec: Sendable {
    public var name: String
    /// The pipeline file; relative paths in it are relative to its folder.
    public var file: URL
    public var inputs: [InputSpec]
    public var models: [ModelSpec]
    public var steps: [StepSpec]
    public var outputs: OutputSpec
    /// Items processed at once (each model still runs one call at a time; the others decode).
    public var concurrency: Int
    public var onError: ErrorPolicy
    public var location: PipelineLocation

    public func model(named name: String) -> ModelSpec? { models.first { $0.name == name } }
}

/// A folder (or file) to read, which files in it, and which media kinds.
public struct InputSpec: Sendable {
    public var path: URL
    /// Shell globs matched against the path below `path` (`*.wav`, `**/*.jpg`); empty: every file.
    public var include: [String]
    public var exclude: [String]
    public var recursive: Bool
    public var media: Set<MediaKind>
    public var location: PipelineLocation

    public init(path: URL, include: [String] = [], exclude: [String] = [], recursive: Bool = true,
                media: Set<MediaKind> = MediaKind.decodable, location: PipelineLocation) {
        self.path = path
        self.include = include
        self.exclude = exclude
        self.recursive = recursive
        self.media = media
        self.location = location
    }
}

/// A model named once and shared by every step that names it.
public struct ModelSpec: Sendable {
    public var name: String
    /// A catalog name (`loom models list`) or a path.
    public var source: String
    public var location: PipelineLocation
}

public struct StepSpec: Sendable {
    public var id: String
    public var uses: String
    public var usesLocation: PipelineLocation
    public var needs: [(id: String, location: PipelineLocation)]
    /// `with:` entries in file order (and `model:` written at the step level).
    public var with: [(name: String, value: RawValue, location: PipelineLocation)]
    /// When its model is not available, skip the step (and report it) instead of refusing to run.
    public var optional: Bool
    public var location: PipelineLocation
}

public struct OutputSpec: Sendable {
    public enum Naming: String, Sendable, CaseIterable {
        /// `talk.wav` -> `talk.srt`
        case stem
        /// `talk.wav` -> `talk.wav.srt`, so `talk.wav` and `talk.flac` do not collide.
        case filename
    }

    /// nil: results go next to their inputs (sidecars).
    public var folder: URL?
    /// The JSONL manifest's file name (in the output folder, or the first input folder); nil: none.
    public var manifest: String?
    public var naming: Naming
    public var location: PipelineLocation
}

public enum ErrorPolicy: String, Sendable, CaseIterable {
    /// Report the item and go on with the others.
    case skip
    /// Stop taking new items after the first failure.
    case stop
}
