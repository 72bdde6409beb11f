import Foundation
import LoomCheck

/// Why a WordPiece tokenizer could not be loaded. Every case names the file and says what to do.
public typealias WordPieceTokenizerError = FileError<WordPieceTokenizerProblem>

/// What can be wrong with a WordPiece tokenizer file.
public enum WordPieceTokenizerProblem: FileProblem {
    /// The file is missing or unreadable.
    case cannotRead(reason: String)
    /// The file is not JSON, or a field has the wrong type.
    case malformed(String)
    /// A component (model, normalizer, pre-tokenizer, post-processor) Loom does not implement.
    case unsupported(String)

    public var message: String {
        switch self {
        case .cannotRead(let reason):
            return "cannot read tokenizer: \(reason). Check that the model folder is complete (loom models pull)."
        case .malformed(let what):
            return "malformed tokenizer file: \(what). Download or export the tokenizer again."
        case .unsupported(let what):
            return "unsupported tokenizer: \(what). Loom reads WordPiece tokenizers with the BERT normalizer and pre-tokenizer."
        }
    }

}
