import CLibPQ
import Foundation

/// The rows of a statement, read by row and column number. Text results are PostgreSQL's output
/// forms; binary results its send forms (network byte order), as `query(binaryResults:)` asked.
/// A value that does not read as the type asked for is an `PostgresError` naming row and column.
public final class PostgresResult {
    private let result: OpaquePointer

    init(_ result: OpaquePointer) { self.result = result }
    deinit { PQclear(result) }

    public var count: Int { Int(PQntuples(result)) }
    public var columns: Int { Int(PQnfields(result)) }
    /// Rows an INSERT, UPDATE or DELETE touched.
    public var affectedRows: Int { Int(String(cString: PQcmdTuples(result))) ?? 0 }

    public func isNull(_ row: Int, _ column: Int) -> Bool {
        PQgetisnull(result, Int32(row), Int32(column)) == 1
    }

    private func isBinary(_ column: Int) -> Bool { PQfformat(result, Int32(column)) == 1 }

    private func bytes(_ row: Int, _ column: Int) -> UnsafeRawBufferPointer {
        let length = Int(PQgetlength(result, Int32(row), Int32(column)))
        return UnsafeRawBufferPointer(start: PQgetvalue(result, Int32(row), Int32(column)), count: length)
    }

    private func unexpected(_ row: Int, _ column: Int, _ what: String) -> PostgresError {
        let name = PQfname(result, Int32(column)).map { String(cString: $0) } ?? "\(column)"
        return PostgresError(message: "row \(row), column \(name): \(what)")
    }

    /// Text (or, in binary results, a text column's bytes); nil for NULL.
    public func string(_ row: Int, _ column: Int) -> String? {
        isNull(row, column) ? nil : String(decoding: bytes(row, column), as: UTF8.self)
    }

    /// An integer column (smallint, integer, bigint); nil for NULL.
    public func int(_ row: Int, _ column: Int) throws(PostgresError) -> Int64? {
        guard !isNull(row, column) else { return nil }
        let raw = bytes(row, column)
        if !isBinary(column) {
            guard let value = Int64(String(decoding: raw, as: UTF8.self)) else { throw unexpected(row, column, "not an integer") }
            return value
        }
        switch raw.count {
        case 8: return Int64(bigEndian: raw.loadUnaligned(as: Int64.self))
        case 4: return Int64(Int32(bigEndian: raw.loadUnaligned(as: Int32.self)))
        case 2: return Int64(Int16(bigEndian: raw.loadUnaligned(as: Int16.self)))
        default: throw unexpected(row, column, "an integer of \(raw.count) bytes")
        }
    }

    /// A double precision column; nil for NULL.
    public func double(_ row: Int, _ column: Int) throws(PostgresError) -> Double? {
        guard !isNull(row, column) else { return nil }
        let raw = bytes(row, column)
        if isBinary(column) {
            guard raw.count == 8 else { throw unexpected(row, column, "not a double precision") }
            return Double(bitPattern: UInt64(bigEndian: raw.loadUnaligned(as: UInt64.self)))
        }
        let text = String(decoding: raw, as: UTF8.self)
        guard let value = Double(text) ?? Self.special(text) else { throw unexpected(row, column, "not a number") }
        return value
    }

    private static func special(_ text: String) -> Double? {
        switch text {
        case "NaN": .nan
        case "Infinity": .infinity
        case "-Infinity": -.infinity
        default: nil
        }
    }

    public func bool(_ row: Int, _ column: Int) throws(PostgresError) -> Bool? {
        guard !isNull(row, column) else { return nil }
        let raw = bytes(row, column)
        if isBinary(column) { return raw.first == 1 }
        switch String(decoding: raw, as: UTF8.self) {
        case "t": return true
        case "f": return false
        default: throw unexpected(row, column, "not a boolean")
        }
    }

    /// A one-dimensional `real[]` without NULLs; nil for NULL. Binary results are read straight from
    /// the array's send form (array_send: ndim, flags, element type, per dimension its length and
    /// lower bound, then each element as length + big-endian float4); text ones from `{1,0.5,...}`.
    public func floats(_ row: Int, _ column: Int) throws(PostgresError) -> [Float]? {
        guard !isNull(row, column) else { return nil }
        let raw = bytes(row, column)
        guard isBinary(column) else {
            let text = String(decoding: raw, as: UTF8.self)
            guard text.hasPrefix("{"), text.hasSuffix("}") else { throw unexpected(row, column, "not an array") }
            let body = text.dropFirst().dropLast()
            if body.isEmpty { return [] }
            var values: [Float] = []
            for part in body.split(separator: ",") {
                guard let value = Float(part) ?? Self.special(String(part)).map({ Float($0) }) else {
                    throw unexpected(row, column, "'\(part)' is not a number")
                }
                values.append(value)
            }
            return values
        }
        func int32(_ offset: Int) -> Int32 { Int32(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)) }
        guard raw.count >= 12 else { throw unexpected(row, column, "a truncated array") }
        let dimensions = int32(0)
        if dimensions == 0 { return [] }
        guard dimensions == 1, raw.count >= 20 else { throw unexpected(row, column, "an array of \(dimensions) dimensions") }
        let count = Int(int32(12))
        guard count >= 0, raw.count == 20 + count * 8 else { throw unexpected(row, column, "an array whose size does not match") }
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let offset = 20 + i * 8
            guard int32(offset) == 4 else { throw unexpected(row, column, "element \(i) is NULL or not a real") }
            values[i] = Float(bitPattern: UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)))
        }
        return values
    }
}
