import FuzzSupport
import Foundation
import LoomIndex

/// An index file as `loom search` opens it: the header and schema checks (SQLiteIndexStore, SQLite through
/// GRDB), the settings, items and segments, then each model's vectors loaded and searched. The file
/// is a fresh copy of the input each run (opening it may migrate it and SQLite adds -wal/-shm files).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIndex(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let url = Fuzz.file(Fuzz.data(bytes, count), name: "fuzz-input.loom")
    defer {
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: url.path + suffix) }
    }
    do {
        let store = try SQLiteIndexStore(url: url, create: false)
        let settings = try store.settings()
        for item in try store.allItems() { _ = try store.segments(itemId: item.id!) }
        _ = try store.counts()
        let models = Set(settings.filter { $0.key.hasSuffix(".model") }.map(\.value) + ["minilm-l6-v2"]).sorted()
        let searcher = IndexSearcher(store: store)
        for model in models {
            let rows = try searcher.load(model: model)
            guard rows > 0 else { continue }
            var options = SearchOptions()
            options.k = 3
            for grouped in [true, false] {
                options.groupByItem = grouped
                // The seeds' vectors have 4 dimensions; other sizes are refused with an error.
                _ = try? searcher.search([QueryVector(model: model, vector: [0.5, -0.5, 0.5, 0.5])], options: options)
            }
        }
    } catch {
        Fuzz.expectNamed(error, url.path)
    }
    return 0
}
