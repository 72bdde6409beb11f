import Foundation

/// Shows a pull: on a terminal one line redrawn in place (a bar, bytes, rate and time left); elsewhere
/// (logs, CI, pipes) plain lines, one per file and step, that read well in a file.
public final class PullProgressPrinter: @unchecked Sendable {
    // @unchecked: every field is read and written under `lock`; events come from several download tasks.
    private let lock = NSLock()
    private let terminal: Bool
    private let write: @Sendable (String) -> Void
    private let now: @Sendable () -> ContinuousClock.Instant
    private var total = 0
    private var done = 0
    private var started: ContinuousClock.Instant?
    private var lastDraw: ContinuousClock.Instant?
    private var drawn = false

    /// - Parameters:
    ///   - terminal: draw the in-place bar (standard error is a tty) rather than lines.
    ///   - write: where text goes (standard error by default).
    public init(terminal: Bool, write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) },
                now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.terminal = terminal
        self.write = write
        self.now = now
    }

    public func handle(_ event: PullEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case let .plan(repo, commit, files, bytes, alreadyThere):
            total = bytes
            started = now()
            let cached = alreadyThere > 0 ? ", \(alreadyThere) already in the cache" : ""
            line("\(repo) at \(commit.prefix(12)): \(files) file\(files == 1 ? "" : "s") to fetch (\(Self.megabytes(bytes)))\(cached)")
        case .fileStarted(let path, let size):
            if !terminal { line("  \(path) (\(size.map(Self.megabytes) ?? "size unknown"))") }
        case let .bytes(_, count, _):
            done += count
            if terminal, let last = lastDraw, now() - last < .milliseconds(100) { return }
            if terminal { drawBar() }
        case let .retrying(path, attempt, detail):
            line("  \(path): \(detail); resuming (try \(attempt))")
        case .fileDone(let path):
            if terminal { line("  \(path) done") }
        }
    }

    /// Ends the bar with the totals.
    public func finish() {
        lock.lock()
        defer { lock.unlock() }
        guard let started else { return }
        let seconds = max(Double((now() - started).components.seconds) + Double((now() - started).components.attoseconds) / 1e18, 1e-3)
        if terminal && drawn { write("\r\u{1B}[K") }
        write("fetched \(Self.megabytes(done)) in \(String(format: "%.1f", seconds)) s (\(Self.megabytes(Int(Double(done) / seconds)))/s)\n")
    }

    /// `[#####-----]  45.2/120.0 MB  12.3 MB/s  ETA 6 s`
    public static func bar(done: Int, total: Int, seconds: Double, width: Int = 24) -> String {
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 0
        let filled = Int(fraction * Double(width))
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let eta = rate > 0 && total > done ? "ETA \(Self.duration(Double(total - done) / rate))" : ""
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] "
            + String(format: "%.1f/%.1f MB  %.1f MB/s  ", Double(done) / 1e6, Double(total) / 1e6, rate / 1e6) + eta
    }

    static func duration(_ seconds: Double) -> String {
        seconds < 60 ? "\(Int(seconds.rounded(.up))) s" : "\(Int(seconds / 60)) min \(Int(seconds) % 60) s"
    }

    static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }

    private func drawBar() {
        let elapsed = started.map { now() - $0 } ?? .zero
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        write("\r\u{1B}[K" + Self.bar(done: done, total: total, seconds: seconds))
        lastDraw = now()
        drawn = true
    }

    private func line(_ text: String) {
        if terminal && drawn { write("\r\u{1B}[K") }
        write(text + "\n")
        if terminal && drawn { drawBar() }
    }
}
