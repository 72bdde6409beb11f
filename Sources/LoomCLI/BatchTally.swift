import ArgumentParser
import Foundation
import LoomMedia
import LoomTasks

/// A batch command's per-input bookkeeping (`transcribe`, `caption`): which inputs are finished or
/// refused before any work, the error line for one that fails, and the closing line and exit status.
struct BatchTally {
    let count: Int
    let started = Date()
    var done = 0, skipped = 0, refused = 0, failed = 0

    /// Whether input number `index` has work to do: not when its outputs are all Loom's own (finished)
    /// or every one missing is refused, which is reported.
    mutating func needsWork(_ index: Int, _ name: String, _ check: OutputWriter.Check) -> Bool {
        if check.finished {
            skipped += 1
            printErr("[\(index + 1)/\(count)] \(name): outputs exist, skipped (--overwrite to redo)")
            return false
        }
        for refusal in check.refused { printErr("refused: \(refusal)") }
        refused += check.refused.count
        return !check.writable.isEmpty
    }

    /// Reports `error` for `input`, naming it unless the message already does.
    mutating func fail(_ input: URL, _ error: Error) {
        failed += 1
        let message = "\(error)"
        printErr("error: " + (message.contains(DisplayPath.escaping(input.lastPathComponent)) ? message : "\(DisplayPath.of(input)): \(message)"))
    }

    /// The closing line ("3 transcribed, 1 skipped, 0 failed in 9.1 s"); a failure or a refusal makes
    /// the exit status non-zero.
    func finish(_ verb: String) throws {
        printErr(String(format: "%d %@, %d skipped, %d failed%@ in %.1f s", done, verb, skipped, failed,
                        OutputWriter.refusalSummary(refused), Date().timeIntervalSince(started)))
        if failed > 0 || refused > 0 { throw ExitCode.failure }
    }
}
