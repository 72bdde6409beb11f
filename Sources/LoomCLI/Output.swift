import ArgumentParser
import Foundation

/// Progress and diagnostics go to stderr so stdout stays the command's result.
func printErr(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Left-aligned columns separated by two spaces; the last column is not padded.
func table(header: [String], rows: [[String]]) -> String {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    return all.map { row in
        row.enumerated().map { column, cell in
            column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }.joined(separator: "\n")
}

/// The comma-separated `--format` list as `Format` values, in order; an unknown name is an error
/// listing the known ones (`loom transcribe`, `loom ocr`).
func formatList<Format: RawRepresentable & CaseIterable>(_ list: String) throws -> [Format] where Format.RawValue == String {
    try list.split(separator: ",").map { name in
        guard let format = Format(rawValue: name.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw ValidationError("unknown format '\(name)'; use any of \(Format.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return format
    }
}
