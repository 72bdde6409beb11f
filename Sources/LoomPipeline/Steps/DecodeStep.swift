import Foundation
import LoomMedia

/// `uses: decode`: the file's pixels (upright 8-bit RGB) or samples (mono, resampled). Its result is
/// not cached: decoding is cheap next to the models and the pixels are large; it runs only when a
/// step after it has work left.
public struct DecodeStep: PipelineStep {
    public static let kind = "decode"
    public static let summary = "image -> RGB pixels, audio -> mono samples at sample_rate"
    public static let parameters = [
        ParameterSpec("sample_rate", .integer(8000...48000), default: .integer(16000), help: "audio is resampled to this rate (Whisper: 16000)"),
        ParameterSpec("max_pixels", .integer(1...1_000_000_000), default: .integer(100_000_000), help: "larger images are refused before allocation"),
    ]
    public static let accepts: Set<ArtifactKind> = []
    public static let produces = ArtifactKind.media
    public static let mediaKinds: Set<MediaKind>? = nil
    public static let isCached = false

    let sampleRate: Int
    let images: ImageDecoder
    let audio = AudioDecoder()

    public init(_ setup: StepSetup) throws {
        sampleRate = setup.parameters["sample_rate"]?.integer ?? 16000
        images = ImageDecoder(maxPixels: setup.parameters["max_pixels"]?.integer ?? 100_000_000)
    }

    public func run(_ item: PipelineItem, inputs: [StepInput]) throws -> Artifact? {
        switch item.kind {
        case .image: return .media(.image(try images.decode(contentsOf: item.url)))
        case .audio: return .media(.audio(try audio.decode(contentsOf: item.url, targetSampleRate: sampleRate)))
        // Pipeline inputs are images and audio (`media:` takes no other kind); text is the index's.
        case .text: return nil
        }
    }
}
