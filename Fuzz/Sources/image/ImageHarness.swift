import FuzzSupport
import Foundation
import LoomMedia

/// PNG and JPEG bytes through `ImageDecoder.decode(data:name:)`, the decoder behind `loom inspect`,
/// `caption`, `ask`, `index` and the pipeline's decode step: signature sniffing, the libpng and
/// libjpeg shims (Sources/CLoomImage), the pixel limit and EXIF orientation. The limit is lower than
/// the CLI's default so each run stays fast; bombs are refused the same way at any limit.
let decoder = ImageDecoder(maxPixels: 4_000_000)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    do {
        let image = try decoder.decode(data: Fuzz.data(bytes, count), name: "fuzz-input.png")
        precondition(image.width > 0 && image.height > 0 && image.width * image.height <= decoder.maxPixels)
    } catch {
        Fuzz.expectNamed(error, "fuzz-input.png")
    }
    return 0
}
