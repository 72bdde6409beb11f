import CLibPQ
import Foundation
import Synchronization

/// One connection to a PostgreSQL server through libpq (https://www.postgresql.org/docs/15/libpq.html).
/// Statements take their values only as parameters (`$1`, `$2`, ... sent apart from the SQL text), so
/// no value is ever spliced into SQL. Not thread-safe: an owner that shares it holds a lock around it.
public final class PostgresConnection {
    /// The server's URL, as given (it may hold a password: show `location` instead).
    public let url: URL
    /// The URL without password or query, for messages.
    public let location: String
    private var connection: OpaquePointer

    /// How long a new connection waits for a server that does not answer or is not accepting yet
    /// (starting up, restarting, in recovery) before it fails; 0 (the default) fails at once, as an
    /// interactive command should. `loom worker` sets it: a worker started with, or during a restart
    /// of, its database (a Kubernetes Job, a Slurm array) waits for it instead of exiting.
    public static var serverWaitSeconds: Double {
        get { serverWait.withLock { $0 } }
        set { serverWait.withLock { $0 = newValue } }
    }
    private static let serverWait = Mutex(0.0)

    /// Connects to `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?OPTIONS]`, libpq's URI
    /// form; the environment's PGPASSWORD, PGPASSFILE and the like apply as for psql), waiting up to
    /// `waitingForServer` seconds, with backoff, for a server that is not there or not accepting yet.
    public init(url: URL, waitingForServer: Double = PostgresConnection.serverWaitSeconds) throws(PostgresError) {
        self.url = url
        location = Self.location(of: url)
        // Later entries override earlier ones: the URL may set its own timeout and application name.
        let settings = [("connect_timeout", "10"), ("fallback_application_name", "loom"), ("dbname", url.absoluteString),
                        ("client_encoding", "UTF8")]
        let deadline = Date().addingTimeInterval(waitingForServer)
        var pause = 0.2
        while true {
            do {
                connection = try Self.connect(settings, location: location)
                return
            } catch {
                // A server that answers and refuses (a password, a missing database) is not waited for.
                let answer = Self.ping(settings)
                guard answer != PQPING_OK, answer != PQPING_NO_ATTEMPT, Date().addingTimeInterval(pause) < deadline else { throw error }
                if pause == 0.2 {
                    FileHandle.standardError.write(Data(String(format: "waiting up to %.0f s for the server: %@\n",
                                                               deadline.timeIntervalSinceNow, error.message).utf8))
                }
                Thread.sleep(forTimeInterval: pause)
                pause = min(pause * 2, 5)
            }
        }
    }

    deinit { PQfinish(connection) }

    private static func withParameters<T>(_ settings: [(String, String)],
                                          _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<UnsafePointer<CChar>?>?) -> T) -> T {
        let keywords = settings.map { strdup($0.0) } + [nil]
        let values = settings.map { strdup($0.1) } + [nil]
        defer { (keywords + values).forEach { free($0) } }
        return keywords.map { UnsafePointer($0) }.withUnsafeBufferPointer { keys in
            values.map { UnsafePointer($0) }.withUnsafeBufferPointer { vals in body(keys.baseAddress, vals.baseAddress) }
        }
    }

    /// libpq's check of whether a server is there and accepting connections, without logging in.
    private static func ping(_ settings: [(String, String)]) -> PGPing {
        withParameters(settings) { PQpingParams($0, $1, 1) }
    }

    private static func connect(_ settings: [(String, String)], location: String) throws(PostgresError) -> OpaquePointer {
        let opened = withParameters(settings) { PQconnectdbParams($0, $1, 1) }
        guard let opened else { throw PostgresError(message: "\(location): out of memory", connectionLost: true) }
        guard PQstatus(opened) == CONNECTION_OK else {
            let reason = String(cString: PQerrorMessage(opened)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(opened)
            throw PostgresError(message: "cannot connect to \(location): \(reason)", connectionLost: true)
        }
        // libpq prints server notices ("relation already exists, skipping") on stderr by default.
        PQsetNoticeProcessor(opened, { _, _ in }, nil)
        return opened
    }

    /// Whether the connection is up, as far as libpq knows (it learns of a loss at the next statement).
    public var isConnected: Bool { PQstatus(connection) == CONNECTION_OK }

    /// Opens the connection again with the same settings (after the server restarted or the network
    /// dropped it); settings made with SET are gone and must be made again.
    public func reconnect() throws(PostgresError) {
        PQreset(connection)
        guard PQstatus(connection) == CONNECTION_OK else {
            let reason = String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines)
            throw PostgresError(message: "cannot connect to \(location): \(reason)", connectionLost: true)
        }
    }

    /// Reconnects, trying again with backoff (0.2 s doubling to 5 s) for up to `seconds`: a server
    /// that restarts, or a network that drops, is waited out; after that the last error is thrown.
    public func reconnect(within seconds: Double) throws(PostgresError) {
        let deadline = Date().addingTimeInterval(seconds)
        var pause = 0.2
        while true {
            do { return try reconnect() } catch {
                guard Date().addingTimeInterval(pause) < deadline else { throw error }
                Thread.sleep(forTimeInterval: pause)
                pause = min(pause * 2, 5)
            }
        }
    }

    /// Runs one statement with `parameters` as `$1...$n`, sent as text (the server converts each to
    /// its column's type; write `$1::real[]` where it cannot tell). Results come as text, or in
    /// PostgreSQL's binary format with `binaryResults` (vectors: no float printing and parsing).
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = [], binaryResults: Bool = false) throws(PostgresError)
        -> PostgresResult {
        var texts: [UnsafeMutablePointer<CChar>?] = []
        defer { texts.forEach { free($0) } }
        for (number, parameter) in parameters.enumerated() {
            guard let text = parameter.text else { texts.append(nil); continue }
            // libpq reads text parameters up to their first NUL; PostgreSQL's text cannot hold one.
            guard !text.utf8.contains(0) else {
                throw PostgresError(message: "parameter $\(number + 1) holds a NUL character, which PostgreSQL text cannot store")
            }
            texts.append(strdup(text))
        }
        let pointers = texts.map { UnsafePointer($0) }
        let result = pointers.withUnsafeBufferPointer { values in
            PQexecParams(connection, sql, Int32(parameters.count), nil, values.baseAddress, nil, nil, binaryResults ? 1 : 0)
        }
        guard let result else {
            throw PostgresError(message: "\(location): \(errorMessage)", connectionLost: !isConnected)
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            return PostgresResult(result)
        default:
            defer { PQclear(result) }
            let message = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            // Class 08 is a connection exception; 57P01..57P03 the server shutting down or starting.
            let lost = !isConnected || state?.hasPrefix("08") == true || state?.hasPrefix("57P") == true
            throw PostgresError(sqlState: state, message: message.isEmpty ? errorMessage : message, connectionLost: lost)
        }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws. Inside
    /// another transaction on this connection, `body` runs under a savepoint: its statements commit
    /// with the outer ones, and its error undoes only its own before it is thrown, so an outer body
    /// that catches it may go on.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        if depth > 0 {
            let savepoint = "loom_\(depth)"
            try query("SAVEPOINT \(savepoint)")
            depth += 1
            defer { depth -= 1 }
            do {
                let value = try body()
                try query("RELEASE SAVEPOINT \(savepoint)")
                return value
            } catch {
                if PQtransactionStatus(connection) == PQTRANS_INERROR || PQtransactionStatus(connection) == PQTRANS_INTRANS {
                    _ = try? query("ROLLBACK TO SAVEPOINT \(savepoint)")
                }
                throw error
            }
        }
        try query("BEGIN")
        depth = 1
        defer { depth = 0 }
        do {
            let value = try body()
            try query("COMMIT")
            return value
        } catch {
            if PQtransactionStatus(connection) != PQTRANS_IDLE { _ = try? query("ROLLBACK") }
            throw error
        }
    }

    /// How many `transaction` calls are open on this connection (0: none).
    private var depth = 0

    /// Whether a `transaction` is open: a lost connection then lost the whole transaction, so a
    /// caller must not repeat only its own statements on a new one.
    public var inTransaction: Bool { depth > 0 }

    private var errorMessage: String {
        String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `scheme://USER@HOST:PORT/DATABASE`: the URL without its password and options.
    public static func location(of url: URL) -> String {
        let parts = URLComponents(url: url, resolvingAgainstBaseURL: false)
        let user = parts?.user.map { "\($0)@" } ?? ""
        let port = parts?.port.map { ":\($0)" } ?? ""
        return "\(url.scheme ?? "postgres")://\(user)\(parts?.host ?? "")\(port)\(parts?.path ?? "")"
    }

    /// Whether `url` names a PostgreSQL server (libpq's two URI schemes).
    public static func isPostgresURL(_ url: URL) -> Bool {
        ["postgres", "postgresql"].contains(url.scheme?.lowercased() ?? "")
    }
}

/// A parameter of a statement, sent as PostgreSQL's text form of the value.
public enum PostgresValue: Sendable, Equatable {
    case null
    case text(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    /// A `real[]` (float4 array); the SQL casts it: `$1::real[]`.
    case floats([Float])
    /// A `bigint[]`, for `= ANY($1::bigint[])`.
    case ints([Int64])
    /// A `text[]`, for `unnest($1::text[])`.
    case texts([String])

    /// nil for NULL. Swift prints floats shortest-round-trip and PostgreSQL reads them exactly.
    var text: String? {
        switch self {
        case .null: nil
        case .text(let value): value
        case .int(let value): String(value)
        case .double(let value): Self.number(value)
        case .bool(let value): value ? "true" : "false"
        case .floats(let values): "{" + values.map { Self.number(Double($0), float: $0) }.joined(separator: ",") + "}"
        case .ints(let values): "{" + values.map(String.init).joined(separator: ",") + "}"
        // Each element double-quoted, its quotes and backslashes escaped (array_in's rules).
        case .texts(let values):
            "{" + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
                .joined(separator: ",") + "}"
        }
    }

    private static func number(_ value: Double, float: Float? = nil) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "Infinity" : "-Infinity" }
        return float.map { "\($0)" } ?? "\(value)"
    }

    public init(_ value: String?) { self = value.map(PostgresValue.text) ?? .null }
    public init(_ value: Int64?) { self = value.map(PostgresValue.int) ?? .null }
    public init(_ value: Double?) { self = value.map(PostgresValue.double) ?? .null }
}

/// A statement or connection that failed: the server's message (and SQLSTATE code, e.g. 23505 for a
/// unique violation), and whether the connection was lost, so a caller knows to reconnect and retry.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public var sqlState: String?
    public var message: String
    public var connectionLost: Bool

    public init(sqlState: String? = nil, message: String, connectionLost: Bool = false) {
        (self.sqlState, self.message, self.connectionLost) = (sqlState, message, connectionLost)
    }

    public var description: String { message }
}
