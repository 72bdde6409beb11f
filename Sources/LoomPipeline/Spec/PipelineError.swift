import Foundation

/// Where something was written: a pipeline file position, or a command-line override.
public struct PipelineLocation: Sendable, Equatable, CustomStringConvertible {
    public let file: String
    /// 1-based; 0 when the value came from the command line (`--set`).
    public let line: Int
    public let column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { line > 0 ? "\(file):\(line):\(column)" : file }
}

/// One problem in a pipeline file, located so an editor can jump to it (`file:line:column: message`).
public struct PipelineError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    public enum Kind: String, Sendable, Equatable {
        case syntax, missingKey, unknownKey, unknownStep, unknownParameter, wrongType, badValue
        case missingModel, unknownNeed, cycle, incompatibleInput, outputCollision, unavailable
    }

    public let kind: Kind
    public let location: PipelineLocation?
    public let message: String

    public init(_ kind: Kind, at location: PipelineLocation?, _ message: String) {
        self.kind = kind
        self.location = location
        self.message = message
    }

    public var description: String { location.map { "\($0): \(message)" } ?? message }
    public var errorDescription: String? { description }
}

/// Every problem found in a pipeline file, reported together so one edit round fixes them all.
public struct PipelineErrors: Error, Sendable, CustomStringConvertible, LocalizedError {
    public let errors: [PipelineError]

    public init(_ errors: [PipelineError]) { self.errors = errors }

    public var description: String { errors.map { "error: \($0)" }.joined(separator: "\n") }
    public var errorDescription: String? { description }
}
