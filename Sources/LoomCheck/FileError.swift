import Foundation

/// What is wrong with one file, and what to do about it: the text after "FILE: " in an error.
public protocol FileProblem: Sendable, Equatable {
    var message: String { get }
}

/// An error about one file (a weight file, a model config, a tokenizer): "FILE: problem. What to do."
/// Each kind of file has its own `Kind` (`WeightFileError` is `FileError<WeightFileProblem>`), so a
/// `catch let error as WeightFileError` still tells the kinds apart, and a batch that loads many files
/// can say which one is broken.
public struct FileError<Problem: FileProblem>: Error, CustomStringConvertible, LocalizedError, Sendable, Equatable {
    /// `WeightFileError.Kind` names the problems of weight files.
    public typealias Kind = Problem

    /// The file (or folder, for a sharded checkpoint or a model folder) the error concerns.
    public let file: String
    public let kind: Kind

    public init(file: String, _ kind: Kind) {
        self.file = file
        self.kind = kind
    }

    public var description: String { "\(file): \(kind.message)" }
    public var errorDescription: String? { description }
}
