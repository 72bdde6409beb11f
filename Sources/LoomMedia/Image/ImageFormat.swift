import Foundation

/// The image containers Loom decodes, recognised by their first bytes (never by the file extension:
/// a PNG saved as `photo.jpg` still decodes).
public enum ImageFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    case png
    case jpeg

    public var description: String { rawValue.uppercased() }

    /// "PNG and JPEG", for messages that list what is supported.
    public static let supportedList = allCases.map(\.description).joined(separator: " and ")

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    static let jpegSignature: [UInt8] = [0xFF, 0xD8, 0xFF]

    /// The format whose signature starts `bytes`, or nil.
    public static func detect<Bytes: Collection>(_ bytes: Bytes) -> ImageFormat? where Bytes.Element == UInt8 {
        if bytes.starts(with: pngSignature) { return .png }
        if bytes.starts(with: jpegSignature) { return .jpeg }
        return nil
    }

    /// The format whose signature `bytes` is a strict prefix of (a file cut off inside its signature).
    static func truncatedSignature<Bytes: Collection>(_ bytes: Bytes) -> ImageFormat? where Bytes.Element == UInt8 {
        guard !bytes.isEmpty else { return nil }
        if bytes.count < pngSignature.count, pngSignature.starts(with: bytes) { return .png }
        if bytes.count < jpegSignature.count, jpegSignature.starts(with: bytes) { return .jpeg }
        return nil
    }

    /// Names formats users commonly have instead, so the error can say what the file is.
    static func describeUnsupported<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let head = Array(bytes.prefix(12))
        func ascii(_ range: Range<Int>) -> String? {
            guard head.count >= range.upperBound else { return nil }
            return String(bytes: head[range], encoding: .ascii)
        }
        if ascii(0..<4) == "GIF8" { return "a GIF image" }
        if ascii(0..<4) == "RIFF", ascii(8..<12) == "WEBP" { return "a WebP image" }
        if ascii(0..<2) == "BM" { return "a BMP image" }
        if head.starts(with: [0x49, 0x49, 0x2A, 0x00]) || head.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) {
            return "a TIFF image"
        }
        if ascii(4..<8) == "ftyp" {
            let brand = ascii(8..<12) ?? ""
            if ["heic", "heix", "mif1", "msf1", "hevc"].contains(brand) { return "a HEIF/HEIC image" }
            if brand.hasPrefix("avi") { return "an AVIF image" }
        }
        let hex = head.prefix(8).map { String(format: "%02X", $0) }.joined(separator: " ")
        return "an unknown format (first bytes: \(hex))"
    }
}
