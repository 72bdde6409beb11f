import Foundation
import LoomTensor
import LoomTestSupport
import Testing

/// Tensors dumped by Scripts/reference/dump_kernels.py: `<name>.f32` plus shapes in manifest.json.
enum KernelFixtures {
    static let shapes: [String: [Int]] = {
        let url = Fixtures.url("kernels/manifest.json")
        guard let data = try? Data(contentsOf: url),
              let shapes = try? JSONDecoder().decode([String: [Int]].self, from: data)
        else { fatalError("cannot read \(url.path); run Scripts/reference/dump_kernels.py") }
        return shapes
    }()

    static func tensor(_ name: String) throws -> Tensor {
        let shape = try #require(shapes[name], "no fixture \(name) in kernels/manifest.json")
        return Tensor(shape: shape, data: try Fixtures.floats("kernels/\(name).f32"))
    }
}

/// Checks `actual` against a reference tensor: same shape, max abs diff within `tolerance` (printed).
func expectClose(
    _ actual: Tensor, _ expected: Tensor, tolerance: Float, _ label: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.shape == expected.shape, "\(label) shape", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let diff = maxAbsDiff(actual.data, expected.data)
    print("\(label) maxdiff", diff, "tolerance", tolerance)
    #expect(diff <= tolerance, "\(label) max abs diff \(diff) > \(tolerance)", sourceLocation: sourceLocation)
}
