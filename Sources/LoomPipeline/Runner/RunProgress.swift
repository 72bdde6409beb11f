import Foundation

/// Progress of a run on stderr: a redrawn bar with counts and ETA on a terminal, one plain line per
/// item otherwise (logs, CI, tests).
public final class RunProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let isTerminal: Bool
    private let started = Date()
    private var total = 0
    private var finished = 0
    private var computed = 0
    private var failed = 0
    private let write: @Sendable (String) -> Void

    public init(isTerminal: Bool = isatty(STDERR_FILENO) == 1,
                write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.isTerminal = isTerminal
        self.write = write
    }

    func start(total: Int) {
        lock.lock()
        self.total = total
        lock.unlock()
    }

    /// A note that is not about one item (a model loaded, a step skipped).
    public func note(_ message: String) {
        lock.lock()
        defer { lock.unlock() }
        write((isTerminal ? "\r\u{1B}[K" : "") + message + "\n")
        if isTerminal { drawBar() }
    }

    func itemDone(_ outcome: ItemOutcome, seconds: Double) {
        lock.lock()
        defer { lock.unlock() }
        finished += 1
        if !outcome.computed.isEmpty { computed += 1 }
        let name = outcome.item.displayPath
        var line: String?
        if let failure = outcome.failure {
            failed += 1
            line = "error: \(failure)"
        } else if !isTerminal {
            let work = outcome.computed.isEmpty ? "done (cached or nothing to run)" : outcome.computed.joined(separator: ", ") + String(format: " (%.1f s)", seconds)
            line = "[\(finished)/\(total)] \(name): \(work)"
        }
        if isTerminal {
            write("\r\u{1B}[K" + (line.map { $0 + "\n" } ?? ""))
            drawBar()
        } else if let line {
            write(line + "\n")
        }
    }

    /// Remaining time at the pace so far (cached items are quick, so early estimates run high).
    private var eta: String {
        guard finished > 0, total > finished else { return "--:--" }
        let seconds = Int(Date().timeIntervalSince(started) / Double(finished) * Double(total - finished))
        return String(format: "%d:%02d", seconds / 60, seconds % 60)
    }

    private func drawBar() {
        let width = 24
        let filled = total == 0 ? width : width * finished / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        write("\r[\(bar)] \(finished)/\(total)  \(computed) run  \(finished - computed - failed) cached  \(failed) failed  ETA \(eta)")
    }

    func end() {
        lock.lock()
        defer { lock.unlock() }
        if isTerminal { write("\r\u{1B}[K") }
    }
}
