import Foundation
import LoomFeatures
import LoomMedia
import LoomTestSupport
import Testing

/// Tests/Fixtures/image-processors, written by Scripts/reference/dump_image_processors.py.
enum ImageProcessorFixtures {
    struct Manifest: Decodable {
        struct Size: Decodable { let width: Int; let height: Int }
        struct Resample: Decodable { let input: String; let width: Int; let height: Int; let filter: String; let file: String }
        struct Stats: Decodable { let sum: Double; let abs_sum: Double; let min: Double; let max: Double }
        struct Case: Decodable {
            let config: String, input: String, stride: Int, file: String
            let shape: [Int]
            let stats: Stats
            let rows: Int?, cols: Int?
            let mask_shape: [Int]?, mask_sum: Int?
            let tile_sums: [Double]?
        }
        struct Batch: Decodable {
            let config: String, inputs: [String], shape: [Int], tile_sums: [[Double]]
            let mask_shape: [Int], mask_tile_sums: [[Int]], rows: [Int], cols: [Int]
        }
        struct TileCount: Decodable { let width: Int, height: Int, split: Bool, tiles: Int, rows: Int, cols: Int, tile_size: Int }
        let reference: String
        let inputs: [String: Size]
        let resample: [Resample]
        let cases: [Case]
        let batch: Batch
        let tile_counts: [TileCount]
    }

    static let manifest: Manifest = {
        let data = try! Data(contentsOf: Fixtures.url("image-processors/manifest.json"))
        return try! JSONDecoder().decode(Manifest.self, from: data)
    }()

    /// A fixture input: raw interleaved RGB bytes decoded by Pillow in the dump script.
    static func input(_ name: String) throws -> RGBImage {
        let size = try #require(manifest.inputs[name])
        let bytes = try Data(contentsOf: Fixtures.url("image-processors/inputs/\(name).rgb"))
        return RGBImage(width: size.width, height: size.height, pixels: [UInt8](bytes))
    }

    static func bytes(_ file: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Fixtures.url("image-processors/\(file)")))
    }

    static func configFolder(_ name: String) -> URL {
        Fixtures.url("image-processors/configs/\(name)")
    }
}
