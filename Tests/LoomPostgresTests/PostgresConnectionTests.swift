import Foundation
import LoomPostgres
import LoomTestSupport
import Testing

/// The libpq wrapper against a real server (the throwaway test cluster): values go out as
/// parameters and come back unchanged, in text and binary results; errors say what failed.
@Suite("PostgreSQL connection")
struct PostgresConnectionTests {
    func connect() throws -> PostgresConnection? {
        guard let cluster = PostgresTestCluster.shared() else { return nil }
        return try PostgresConnection(url: try cluster.createDatabase("conn"))
    }

    @Test func parametersComeBackUnchanged() throws {
        guard let db = try connect() else { return }
        let floats: [Float] = [0, 1, -0.5, 1e-7, 3.4028235e38, .leastNonzeroMagnitude, 0.1, -123.456]
        let text = "naïve 'quoted' \"double\" $1 ; DROP TABLE x; -- 日本"
        let sql = "SELECT $1::text, $2::bigint, $3::double precision, $4::boolean, $5::real[], $6::text, $7::real[]"
        let parameters: [PostgresValue] = [.text(text), .int(.min), .double(0.1 + 0.2), .bool(true), .floats(floats), .null, .floats([])]
        for binary in [false, true] {
            let row = try db.query(sql, parameters, binaryResults: binary)
            #expect(row.count == 1 && row.columns == 7)
            #expect(row.string(0, 0) == text, "binary \(binary)")
            #expect(try row.int(0, 1) == .min)
            if !binary { #expect(try row.double(0, 2) == 0.1 + 0.2, "the shortest text form is exact") }
            #expect(try row.bool(0, 3) == true)
            let back = try #require(try row.floats(0, 4))
            #expect(back.map(\.bitPattern) == floats.map(\.bitPattern), "binary \(binary): every bit kept")
            #expect(row.isNull(0, 5) && row.string(0, 5) == nil)
            #expect(try row.floats(0, 6) == [])
        }
    }

    @Test func textArraysKeepQuotesBackslashesAndNull() throws {
        guard let db = try connect() else { return }
        let texts = ["plain", "a,b", "{braces}", "quote \" here", "back\\slash", "NULL", "", " spaced "]
        let rows = try db.query("SELECT t FROM unnest($1::text[]) WITH ORDINALITY AS u(t, n) ORDER BY n", [.texts(texts)])
        #expect((0..<rows.count).map { rows.string($0, 0) } == texts)
        #expect(try db.query("SELECT count(*) FROM unnest($1::text[]) AS t WHERE t IS NULL", [.texts(texts)]).int(0, 0) == 0)
    }

    @Test func aNulCharacterIsRefusedBeforeSending() throws {
        guard let db = try connect() else { return }
        let error = #expect(throws: PostgresError.self) { try db.query("SELECT $1::text", [.int(1), .text("a\u{0}b")]) }
        #expect(error?.message == "parameter $2 holds a NUL character, which PostgreSQL text cannot store")
    }

    @Test func serverErrorsCarryTheirCode() throws {
        guard let db = try connect() else { return }
        let syntax = #expect(throws: PostgresError.self) { try db.query("SELEC 1") }
        #expect(syntax?.sqlState == "42601" && syntax?.message.contains("syntax error") == true)
        #expect(syntax?.connectionLost == false)
        try db.query("CREATE TABLE t (k text PRIMARY KEY)")
        try db.query("INSERT INTO t VALUES ($1)", [.text("a")])
        let duplicate = #expect(throws: PostgresError.self) { try db.query("INSERT INTO t VALUES ($1)", [.text("a")]) }
        #expect(duplicate?.sqlState == "23505")
        #expect(try db.query("SELECT 1").string(0, 0) == "1", "the connection is still usable")
    }

    @Test func aTransactionThatThrowsLeavesNothing() throws {
        guard let db = try connect() else { return }
        try db.query("CREATE TABLE t (k integer)")
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try db.transaction {
                try db.query("INSERT INTO t VALUES (1)")
                throw Stop()
            }
        }
        #expect(throws: PostgresError.self) {
            try db.transaction {
                try db.query("INSERT INTO t VALUES (2)")
                try db.query("INSERT INTO t VALUES ('not a number')")
            }
        }
        let inserted = try db.transaction { try db.query("INSERT INTO t VALUES (3), (4)").affectedRows }
        #expect(inserted == 2)
        #expect(try db.query("SELECT count(*) FROM t").int(0, 0) == 2)
    }

    @Test func anUnreachableServerIsNamedWithoutItsPassword() throws {
        let url = try #require(URL(string: "postgres://loom:secret@127.0.0.1:1/media?sslmode=disable"))
        let error = #expect(throws: PostgresError.self) { try PostgresConnection(url: url) }
        #expect(error?.message.hasPrefix("cannot connect to postgres://loom@127.0.0.1:1/media: ") == true, "\(String(describing: error))")
        #expect(error?.message.contains("secret") == false)
        #expect(error?.connectionLost == true)
    }

    /// A new connection may wait for a server that is down (a worker started with its database)
    /// and connects once it is up; a server that answers and refuses (no such database) fails at
    /// once, however long it may wait.
    @Test func aNewConnectionWaitsForAServerThatIsNotUpYet() throws {
        guard PostgresTestCluster.shared() != nil else { return }
        let cluster = try PostgresTestCluster.startPrivate()
        defer { cluster.stopAndRemove() }
        let url = try cluster.createDatabase("waiting")
        try cluster.stop()
        #expect(throws: PostgresError.self, "down, and no time to wait") { try PostgresConnection(url: url, waitingForServer: 0) }
        let started = Thread { Thread.sleep(forTimeInterval: 1.5); try? cluster.start() }
        started.start()
        let db = try PostgresConnection(url: url, waitingForServer: 30)
        #expect(try db.query("SELECT 1").int(0, 0) == 1)

        var missing = try #require(URLComponents(url: url, resolvingAgainstBaseURL: false))
        missing.path = "/no_such_database"
        let began = Date()
        let refused = #expect(throws: PostgresError.self) { try PostgresConnection(url: missing.url!, waitingForServer: 30) }
        #expect(Date().timeIntervalSince(began) < 5, "a refusal is not waited out")
        #expect(refused?.message.contains("no_such_database") == true, "\(String(describing: refused))")
    }

    /// A server restart cuts the connection: the next statement says so, and `reconnect` resumes.
    @Test func aRestartedServerIsReconnectedTo() throws {
        guard PostgresTestCluster.shared() != nil else { return }
        let cluster = try PostgresTestCluster.startPrivate()
        defer { cluster.stopAndRemove() }
        let db = try PostgresConnection(url: try cluster.createDatabase("restart"))
        try db.query("CREATE TABLE t (k integer)")
        try cluster.restart()
        let lost = #expect(throws: PostgresError.self) { try db.query("INSERT INTO t VALUES (1)") }
        #expect(lost?.connectionLost == true, "\(String(describing: lost))")
        try db.reconnect()
        try db.query("INSERT INTO t VALUES (1)")
        #expect(try db.query("SELECT count(*) FROM t").int(0, 0) == 1)

        // A server that is down for a while is waited for.
        try cluster.stop()
        #expect(throws: PostgresError.self) { try db.query("SELECT 1") }
        #expect(throws: PostgresError.self, "down, and no time to wait") { try db.reconnect(within: 0) }
        let restarted = Thread { Thread.sleep(forTimeInterval: 1.5); try? cluster.start() }
        restarted.start()
        try db.reconnect(within: 30)
        #expect(try db.query("SELECT count(*) FROM t").int(0, 0) == 1)
    }
}
