import Foundation
import LoomTensor

/// A Hugging Face checkpoint folder: either one `model.safetensors`, or shards listed by
/// `model.safetensors.index.json` (`{"weight_map": {tensor name: shard file name}}`).
public final class SafeTensorsCheckpoint: WeightSource {
    public let path: String
    public let tensorNames: [String]
    private let shards: [SafeTensorsFile]
    private let shardOfTensor: [String: Int]

    public init(folder: URL) throws {
        path = folder.path
        let index = folder.appendingPathComponent("model.safetensors.index.json")
        guard FileManager.default.fileExists(atPath: index.path) else {
            let single = try SafeTensorsFile(url: folder.appendingPathComponent("model.safetensors"))
            shards = [single]
            tensorNames = single.tensorNames
            shardOfTensor = Dictionary(uniqueKeysWithValues: single.tensorNames.map { ($0, 0) })
            return
        }
        let map = try Self.weightMap(index)
        var shardFiles: [String] = []
        var shards: [SafeTensorsFile] = []
        var shardOfTensor: [String: Int] = [:]
        for shardName in Set(map.values).sorted() {
            // A shard name is a plain file name in this folder, never a path elsewhere.
            guard !shardName.contains("/"), !shardName.hasPrefix(".") else {
                throw WeightFileError(file: index.path, .malformedHeader("shard name '\(shardName)' is not a file name in the folder"))
            }
            shardFiles.append(shardName)
            shards.append(try SafeTensorsFile(url: folder.appendingPathComponent(shardName)))
        }
        var names: [String] = []
        for (shardIndex, shard) in shards.enumerated() {
            for name in shard.tensorNames where map[name] == shardFiles[shardIndex] {
                shardOfTensor[name] = shardIndex
                names.append(name)
            }
        }
        let missing = map.keys.filter { shardOfTensor[$0] == nil }.sorted()
        if !missing.isEmpty {
            throw WeightFileError(file: index.path, .missingTensors(missing))
        }
        self.shards = shards
        self.shardOfTensor = shardOfTensor
        tensorNames = names
    }

    public func info(_ name: String) -> TensorInfo? {
        shardOfTensor[name].flatMap { shards[$0].info(name) }
    }

    public func tensor(_ name: String) throws -> Tensor {
        try shard(name).tensor(name)
    }

    public func rawBytes(_ name: String) throws -> RawTensorBytes {
        try shard(name).rawBytes(name)
    }

    private func shard(_ name: String) throws -> SafeTensorsFile {
        guard let index = shardOfTensor[name] else { throw WeightFileError(file: path, .tensorNotFound(name)) }
        return shards[index]
    }

    private static func weightMap(_ index: URL) throws -> [String: String] {
        let data: Data
        do { data = try Data(contentsOf: index) } catch {
            throw WeightFileError(file: index.path, .cannotOpen(reason: error.localizedDescription))
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let map = object["weight_map"] as? [String: String] else {
            throw WeightFileError(file: index.path, .malformedHeader("no \"weight_map\" object of tensor name to shard file"))
        }
        return map
    }
}
