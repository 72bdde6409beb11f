import ArgumentParser
import Foundation
import LoomFeatures
import LoomMedia

/// Decodes every image and audio file it is given and prints what it found: the first step of every
/// Loom task, runnable on its own to check that a folder's media will go through.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode images and audio and print what they hold.",
        discussion: """
            Images (PNG, JPEG) are decoded to upright RGB; audio (WAV, FLAC, OGG, Opus, MP3) is decoded, \
            mixed to mono, resampled to 16 kHz and turned into Whisper's log-mel spectrogram. A file that \
            fails is reported and the others go on; the exit status is 1 if any failed.
            """)

    @Argument(help: "Files or folders.")
    var paths: [String]

    @Flag(name: .shortAndLong, help: "Descend into sub-folders.")
    var recursive = false

    @Flag(help: "Print one JSON object per file instead of a table row.")
    var json = false

    @Option(help: "Refuse images with more than this many megapixels (at most \(Inspect.megapixelLimit)).")
    var maxMegapixels = 100

    /// 1000 megapixels are 3 GB of RGB; the pipeline decode step's `max_pixels` stops at the same.
    static let megapixelLimit = 1000

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard (1...Self.megapixelLimit).contains(maxMegapixels) else {
            throw ValidationError("--max-megapixels must be between 1 and \(Self.megapixelLimit), not \(maxMegapixels)")
        }
    }

    func run() throws {
        compute.apply()
        let files = try MediaWalker.files(in: paths.map { URL(fileURLWithPath: $0) }, recursive: recursive)
        let inspector = try MediaInspector(maxPixels: maxMegapixels * 1_000_000)
        var counts = (images: 0, audio: 0, skipped: 0, failed: 0)
        for file in files {
            let report = inspector.inspect(file)
            switch report.kind {
            case .image: counts.images += 1
            case .audio: counts.audio += 1
            case .other: counts.skipped += 1
            case .failed: counts.failed += 1
            }
            if json {
                print(report.jsonLine())
            } else if report.kind == .failed {
                printErr("error: \(report.detail)")
            } else {
                print("\(report.kind.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)) \(report.path)  \(report.detail)")
            }
        }
        printErr("\(files.count) files: \(counts.images) images, \(counts.audio) audio, "
                 + "\(counts.skipped) skipped, \(counts.failed) failed")
        if counts.failed > 0 { throw ExitCode.failure }
    }
}

/// What `inspect` says about one file.
struct MediaReport: Encodable {
    enum Kind: String, Encodable { case image, audio, other, failed }
    let path: String
    let kind: Kind
    let detail: String
    var format: String?
    var width: Int?
    var height: Int?
    var channels: Int?
    var sampleRate: Int?
    var seconds: Double?
    var melFrames: Int?

    func jsonLine() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}

/// Decodes one file with the decoder its first bytes call for.
struct MediaInspector {
    let images: ImageDecoder
    let audio = AudioDecoder()
    let logMel: LogMelSpectrogram

    init(maxPixels: Int) throws {
        images = ImageDecoder(maxPixels: maxPixels)
        logMel = try LogMelSpectrogram(melBins: 80)
    }

    func inspect(_ file: URL) -> MediaReport {
        let head = (try? InputFile.open(file).read(upToCount: 16)) ?? Data()
        do {
            if let format = ImageFormat.detect(head) {
                let image = try images.decode(contentsOf: file)
                return MediaReport(path: DisplayPath.of(file), kind: .image, detail: "\(format) \(image.width)x\(image.height)",
                                   format: "\(format)", width: image.width, height: image.height)
            }
            let kind = MediaKind(of: file)
            guard kind == .audio || kind == .image || (try? AudioDecoder.probe(file)) != nil else {
                return MediaReport(path: DisplayPath.of(file), kind: .other, detail: "not an image or audio file")
            }
            if kind == .image {
                _ = try images.decode(contentsOf: file)   // throws the decoder's own explanation
            }
            let decoded = try audio.decodeWithReport(contentsOf: file)
            let mel = try logMel.compute(decoded.audio)
            let info = decoded.info
            var detail = "\(info.formatName) \(info.encodingName), \(info.channels) ch, \(info.sampleRate) Hz, "
                + String(format: "%.2f s", decoded.audio.duration)
                + " -> \(decoded.audio.samples.count) samples at 16 kHz, \(mel.shape[1]) log-mel frames"
            for warning in decoded.warnings { detail += " (warning: \(warning))" }
            return MediaReport(path: DisplayPath.of(file), kind: .audio, detail: detail, format: info.formatName,
                               channels: info.channels, sampleRate: info.sampleRate, seconds: decoded.audio.duration,
                               melFrames: mel.shape[1])
        } catch {
            return MediaReport(path: DisplayPath.of(file), kind: .failed, detail: "\(error)")
        }
    }
}
