import Foundation
internal import GRDB

/// The index file's schema: one step per version, recorded in SQLite's `user_version`, plus
/// `application_id` so a file from a newer Loom, or a file that is not an index, is told apart before
/// anything is read or written.
///
/// The steps run with the check in one IMMEDIATE transaction, not through GRDB's `DatabaseMigrator`
/// (which creates its `grdb_migrations` table and reads what was applied outside the migration's
/// transaction): two `loom index` runs creating the same new file at once then cannot interleave;
/// the second waits for the write lock and finds the schema made. Files made with the migrator keep
/// its table, unused.
enum IndexSchema {
    /// The schema version this Loom writes; `user_version` of a prepared file.
    static let version = 1
    /// `application_id` of Loom index files: "LOOM" in ASCII.
    static let applicationID: Int32 = 0x4C4F_4F4D

    /// The step that brings a file from version `n - 1` to `n` is `steps[n - 1]`.
    static let steps: [@Sendable (Database) throws -> Void] = [
        { db in
            try db.create(table: "items") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("path", .text).notNull().unique()
                t.column("contentHash", .text).notNull().indexed()
                t.column("modality", .text).notNull()
                t.column("size", .integer).notNull()
                t.column("mtime", .double).notNull()
                t.column("metadata", .text).notNull().defaults(to: "{}")
                t.column("status", .text).notNull()
                t.column("error", .text)
                t.column("fingerprint", .text).notNull()
            }
            try db.create(table: "segments") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("item", inTable: "items", onDelete: .cascade).notNull()
                t.column("kind", .text).notNull()
                t.column("ordinal", .integer).notNull()
                t.column("start", .double)
                t.column("end", .double)
                t.column("text", .text).notNull()
                t.column("source", .text)
            }
            try db.create(table: "vectors") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("item", inTable: "items", onDelete: .cascade).notNull()
                t.belongsTo("segment", inTable: "segments", onDelete: .cascade)
                t.column("model", .text).notNull().indexed()
                t.column("dimension", .integer).notNull()
                t.column("embedding", .blob).notNull()
            }
            // The models the index was built with, by role (text, image, asr): id and folder.
            try db.create(table: "settings") { t in
                t.primaryKey("key", .text)
                t.column("value", .text).notNull()
            }
        },
    ]

    /// Checks that the file is empty or a Loom index no newer than this Loom, then brings it to
    /// `version`, all under the write lock.
    static func prepare(_ writer: any DatabaseWriter, path: String) throws {
        try writer.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                let found = try check(db, path: path)
                guard found < version else { return .commit }
                for step in steps[found...] { try step(db) }
                try db.execute(sql: "PRAGMA application_id = \(applicationID)")
                try db.execute(sql: "PRAGMA user_version = \(version)")
                return .commit
            }
        }
    }

    /// The file's schema version (0 for an empty database), after refusing a file of another
    /// application or of a newer Loom.
    static func check(_ db: Database, path: String) throws -> Int {
        let userVersion = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        let appID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
        let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table'") ?? 0
        if tables > 0 && appID != applicationID {
            throw IndexError.notAnIndex(path: path, reason: "an SQLite database of another application")
        }
        if userVersion > version {
            throw IndexError.newerSchema(path: path, fileVersion: userVersion, supportedVersion: version)
        }
        return userVersion
    }
}
