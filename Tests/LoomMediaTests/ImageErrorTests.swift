import Foundation
import LoomMedia
import LoomTestSupport
import Testing

/// Every bad input gets its specific error, and the message names the file.
@Suite("Image decoding errors")
struct ImageErrorTests {
    let decoder = ImageDecoder()

    private func failure(_ file: String, decoder: ImageDecoder = ImageDecoder()) throws -> ImageDecodingError {
        let url = Fixtures.url("images/\(file)")
        do {
            let image = try decoder.decode(contentsOf: url)
            Issue.record("\(file) decoded to \(image.width)x\(image.height) instead of failing")
            throw CancellationError()
        } catch let error as ImageDecodingError {
            print("\(file): \(error)")
            #expect(error.name == url.path)
            #expect(error.description.contains(url.path))
            return error
        }
    }

    @Test func emptyFile() throws {
        #expect(try failure("bad_empty.png") == .emptyFile(name: Fixtures.url("images/bad_empty.png").path))
    }

    @Test(arguments: [
        ("bad_truncated.jpg", ImageFormat.jpeg), ("bad_truncated_progressive.jpg", .jpeg),
        ("bad_pillow_truncated.jpg", .jpeg), ("bad_truncated.png", .png), ("bad_signature_only.png", .png),
    ])
    func truncated(file: String, format: ImageFormat) throws {
        guard case .truncated(_, let found, _) = try failure(file) else {
            Issue.record("\(file): expected .truncated"); return
        }
        #expect(found == format)
    }

    @Test(arguments: [
        ("bad_corrupt.png", ImageFormat.png), ("bad_corrupt.jpg", .jpeg), ("bad_bogus_marker.jpg", .jpeg),
    ])
    func corrupt(file: String, format: ImageFormat) throws {
        guard case .corrupt(_, let found, _) = try failure(file) else {
            Issue.record("\(file): expected .corrupt"); return
        }
        #expect(found == format)
    }

    @Test(arguments: [("bad_gif_named.png", "GIF"), ("bad_text.jpg", "unknown format")])
    func unsupportedFormat(file: String, named: String) throws {
        let error = try failure(file)
        guard case .unsupportedFormat = error else { Issue.record("\(file): expected .unsupportedFormat"); return }
        #expect(error.description.contains(named))
        #expect(error.description.contains("PNG and JPEG"))
    }

    /// Headers declaring 100000x100000 (PNG) and 65000x65000 (JPEG) are refused before allocation.
    @Test(arguments: [("bad_bomb.png", 100_000), ("bad_bomb.jpg", 65_000)])
    func decompressionBomb(file: String, side: Int) throws {
        let error = try failure(file)
        #expect(error == .tooManyPixels(name: Fixtures.url("images/\(file)").path, width: side, height: side,
                                        limit: 100_000_000))
        #expect(error.description.contains("--max-megapixels") && !error.description.contains("ImageDecoder("),
                "the message names the CLI option, not the Swift API")
        #expect(error.description.contains("100000000"))
    }

    /// A 74-byte PNG whose header declares 100000x100000 RGB (30 GB decoded) with a limit that lets
    /// it through: deflate cannot expand 74 bytes that far, so it is refused before any allocation.
    @Test func tinyPNGClaimingAHugeImageIsRefusedBeforeAllocating() throws {
        let png = Data(hex: """
            89504e470d0a1a0a0000000d49484452000186a0000186a0080200000027309c9f000000114944415478da6360\
            1805a3601430300000030a000137e145530000000049454e44ae426082
            """)
        #expect(png.count == 74)
        let error = #expect(throws: ImageDecodingError.self) {
            _ = try ImageDecoder(maxPixels: 10_000_000_000).decode(data: png, name: "bomb.png")
        }
        guard case .truncated("bomb.png", .png, let detail) = error else { Issue.record("expected .truncated, got \(String(describing: error))"); return }
        #expect(detail.contains("100000x100000") && detail.contains("74 bytes"), "\(detail)")
    }

    /// The 96x64 JPEGs with their headers changed to declare 20000x20000: the baseline one is cut
    /// off after a few rows (not padded to 1.2 GB of gray), the progressive one, whose coefficients
    /// libjpeg buffers whole, is refused before that buffer is allocated.
    @Test(arguments: [("chelsea.jpg", "premature end"), ("chelsea_progressive.jpg", "more than its")])
    func tinyJPEGClaimingAHugeImageIsRefused(file: String, detail expected: String) throws {
        var jpeg = [UInt8](try Data(contentsOf: Fixtures.url("images/\(file)")))
        var at = 2
        while !(jpeg[at + 1] == 0xC0 || jpeg[at + 1] == 0xC2) { at += 2 + Int(jpeg[at + 2]) << 8 + Int(jpeg[at + 3]) }
        jpeg.replaceSubrange((at + 5)..<(at + 9), with: [0x4E, 0x20, 0x4E, 0x20])  // height, width: 20000
        let error = #expect(throws: ImageDecodingError.self) {
            _ = try ImageDecoder(maxPixels: 1_000_000_000).decode(data: Data(jpeg), name: file)  // not the image: describing it is slow
        }
        #expect(error?.description.contains(expected) == true, "\(String(describing: error))")
    }

    @Test func pixelLimitIsConfigurable() throws {
        let small = ImageDecoder(maxPixels: 96 * 64 - 1)
        guard case .tooManyPixels(_, 96, 64, 6143) = try failure("chelsea.png", decoder: small) else {
            Issue.record("expected .tooManyPixels"); return
        }
        #expect(try ImageDecoder(maxPixels: 96 * 64).decode(contentsOf: Fixtures.url("images/chelsea.png")).width == 96)
    }

    @Test func missingFileAndDirectory() throws {
        for url in [Fixtures.url("images/no_such_file.png"), Fixtures.url("images")] {
            do {
                _ = try decoder.decode(contentsOf: url)
                Issue.record("\(url.path) decoded")
            } catch let error as ImageDecodingError {
                print(error)
                guard case .unreadableFile = error else { Issue.record("expected .unreadableFile, got \(error)"); continue }
                #expect(error.description.contains(url.path))
            }
        }
    }

    /// In-memory decoding names the caller's identifier.
    @Test func dataErrorsUseGivenName() throws {
        #expect(throws: ImageDecodingError.unsupportedFormat(name: "upload #3", detail: "an unknown format (first bytes: 00 01 02)")) {
            try decoder.decode(data: Data([0, 1, 2]), name: "upload #3")
        }
    }
}

extension Data {
    /// Bytes from hex digits; whitespace and newlines are ignored.
    init(hex: String) {
        let digits = hex.filter(\.isHexDigit).map { UInt8(String($0), radix: 16)! }
        self.init(stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] })
    }
}
