import Foundation
import GRDB

/// The index file's schema: GRDB migrations, one per version, plus SQLite's `user_version` and
/// `application_id` so a file from a newer Loom, or a file that is not an index, is told apart before
/// anything is read or written.
enum IndexSchema {
    /// The schema version this Loom writes; `user_version` of a migrated file.
    static let version = 1
    /// `application_id` of Loom index files: "LOOM" in ASCII.
    static let applicationID: Int32 = 0x4C4F_4F4D

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
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
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
            try db.execute(sql: "PRAGMA user_version = 1")
        }
        return migrator
    }

    /// Checks that `db` is empty or a Loom index no newer than this Loom, then migrates it.
    static func prepare(_ writer: any DatabaseWriter, path: String) throws {
        let (userVersion, appID, tables) = try writer.read { db in
            (try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0,
             try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table'") ?? 0)
        }
        if tables > 0 && appID != applicationID {
            throw IndexError.notAnIndex(path: path, reason: "an SQLite database of another application")
        }
        if userVersion > version {
            throw IndexError.newerSchema(path: path, fileVersion: userVersion, supportedVersion: version)
        }
        if try writer.read({ try migrator.hasBeenSuperseded($0) }) {
            throw IndexError.newerSchema(path: path, fileVersion: userVersion, supportedVersion: version)
        }
        try migrator.migrate(writer)
    }
}
