import Foundation
import LoomFeatures
import LoomMedia
import LoomTestSupport
import Testing

/// Config parsing, the processor factory, and every bad input getting a clear error.
@Suite struct ImageProcessorConfigTests {
    func config(_ json: String, file: String = "test/preprocessor_config.json") throws -> PreprocessorConfig {
        try PreprocessorConfig.decode(Data(json.utf8), file: file)
    }

    func make(_ json: String) throws -> any ImageProcessing {
        try ImageProcessors.make(config(json), file: "test/preprocessor_config.json")
    }

    @Test func factoryPicksTheFamilyFromRealConfigs() throws {
        let clip = try #require(try ImageProcessors.load(folder: ImageProcessorFixtures.configFolder("clip-vit-base-patch32")) as? ResizeCropProcessor)
        #expect(clip.kind == .clip)
        // The legacy CLIP config writes size and crop_size as bare integers.
        #expect(clip.resize == .shortestEdge(224, longest: nil))
        #expect(clip.centerCrop?.height == 224 && clip.centerCrop?.width == 224)
        #expect(clip.filter == .bicubic)
        let siglip = try #require(try ImageProcessors.load(folder: ImageProcessorFixtures.configFolder("siglip-base-patch16-224")) as? ResizeCropProcessor)
        #expect(siglip.kind == .siglip && siglip.resize == .exact(height: 224, width: 224) && siglip.centerCrop == nil)
        let smol = try #require(try ImageProcessors.load(folder: ImageProcessorFixtures.configFolder("smolvlm-256m-instruct")) as? Idefics3ImageProcessor)
        #expect(smol.longestEdge == 2048 && smol.tileSize == 512 && smol.filter == .lanczos && smol.doImageSplitting)
    }

    @Test func missingFieldsTakeClassDefaults() throws {
        let clip = try #require(try make(#"{"image_processor_type": "CLIPImageProcessorFast"}"#) as? ResizeCropProcessor)
        #expect(clip.resize == .shortestEdge(224, longest: nil) && clip.centerCrop?.height == 224 && clip.filter == .bicubic)
        #expect(clip.normalization.mean == ResizeCropProcessor.clipMean && abs(clip.normalization.rescaleFactor - 1.0 / 255) < 1e-15)
        let siglip = try #require(try make(#"{"processor_class": "SiglipProcessor"}"#) as? ResizeCropProcessor)
        #expect(siglip.resize == .exact(height: 224, width: 224) && siglip.normalization.std == [0.5, 0.5, 0.5])
        let idefics = try #require(try make(#"{"image_processor_type": "SmolVLMImageProcessor"}"#) as? Idefics3ImageProcessor)
        #expect(idefics.longestEdge == 1456 && idefics.tileSize == 364 && idefics.filter == .lanczos && idefics.doImageSplitting)
    }

    @Test func unknownProcessorTypeNamesFileAndType() throws {
        #expect(throws: ImageProcessorError.unknownProcessorType(file: "test/preprocessor_config.json", type: "Siglip2ImageProcessor")) {
            try make(#"{"image_processor_type": "Siglip2ImageProcessor"}"#)
        }
        let error = try #require(throws: ImageProcessorError.self) { try make(#"{"image_processor_type": "Foo"}"#) }
        #expect(error.description.contains("test/preprocessor_config.json") && error.description.contains("CLIPImageProcessor"))
        let missing = try #require(throws: ImageProcessorError.self) { try make(#"{"do_resize": true}"#) }
        #expect(missing.description.contains("image_processor_type"))
    }

    @Test func badFieldValuesAreClearErrors() throws {
        let cases: [(String, String)] = [
            (#"{"image_processor_type": "CLIPImageProcessor", "resample": 7}"#, "resample"),
            (#"{"image_processor_type": "SiglipImageProcessor", "size": {"longest_edge": 10}}"#, "size"),
            (#"{"image_processor_type": "SiglipImageProcessor", "size": {"height": 0, "width": 4}}"#, "size"),
            (#"{"image_processor_type": "CLIPImageProcessor", "crop_size": {"height": 4}}"#, "crop_size"),
            (#"{"image_processor_type": "SiglipImageProcessor", "do_center_crop": true}"#, "crop_size"),
            (#"{"image_processor_type": "Idefics3ImageProcessor", "max_image_size": {"height": 4}}"#, "max_image_size"),
            (#"{"image_processor_type": "Idefics3ImageProcessor", "size": {"shortest_edge": 4}}"#, "size"),
            (#"{"image_processor_type": "CLIPImageProcessor", "image_mean": [0.5, 0.5]}"#, "image_mean"),
            (#"{"image_processor_type": "CLIPImageProcessor", "image_std": [0.5, 0, 0.5]}"#, "image_std"),
            (#"{"image_processor_type": "CLIPImageProcessor", "do_resize": "yes"}"#, "do_resize"),
            (#"{"image_processor_type": "CLIPImageProcessor", "size": "big"}"#, "size"),
        ]
        for (json, field) in cases {
            let error = try #require(throws: ImageProcessorError.self) { try make(json) }
            guard case let .invalidConfig(file, badField, _) = error else {
                Issue.record("\(json): expected invalidConfig, got \(error)")
                continue
            }
            #expect(file == "test/preprocessor_config.json")
            #expect(badField.hasPrefix(field), "\(json): reported field \(badField)")
        }
    }

    @Test func unreadableConfigFiles() throws {
        let folder = try Fixtures.temporaryDirectory("loom-image-config")
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = try #require(throws: ImageProcessorError.self) { try ImageProcessors.load(folder: folder) }
        #expect(missing.description.contains("preprocessor_config.json") && missing.description.contains("does not exist"))
        try Data("{not json".utf8).write(to: folder.appendingPathComponent("preprocessor_config.json"))
        let broken = try #require(throws: ImageProcessorError.self) { try ImageProcessors.load(folder: folder) }
        guard case .unreadableConfig = broken else { Issue.record("expected unreadableConfig, got \(broken)"); return }
        #expect(broken.description.contains(folder.path))
    }

    @Test(arguments: ["clip-vit-base-patch32", "siglip-base-patch16-224", "smolvlm-256m-instruct"])
    func emptyImagesAreRejected(config: String) throws {
        let processor = try ImageProcessors.load(folder: ImageProcessorFixtures.configFolder(config))
        for (w, h) in [(0, 0), (0, 7), (7, 0)] {
            #expect(throws: ImageProcessorError.emptyImage(width: w, height: h)) {
                try processor.process(RGBImage(width: w, height: h, pixels: []))
            }
        }
    }

    @Test func extremeAspectRatiosAreErrorsNotCrashes() throws {
        // Shortest edge 224 of a 1 x 400000 strip would need a 224 x 89600000 image.
        let clip = try make(#"{"image_processor_type": "CLIPImageProcessor"}"#)
        let strip = RGBImage(width: 1, height: 400_000, pixels: [UInt8](repeating: 9, count: 1_200_000))
        #expect(throws: ImageProcessorError.outputTooLarge(width: 224, height: 89_600_000)) { try clip.process(strip) }
    }
}
