// swift-tools-version: 6.0
// libFuzzer harnesses for Loom's parsers (issue #13). Built by Fuzz/run with `--sanitize fuzzer
// --sanitize address`, which instruments Loom and its dependencies too. See Fuzz/README.md.
import PackageDescription

/// One executable per harness: `fuzz-NAME` from Sources/NAME (a file exporting LLVMFuzzerTestOneInput).
let harnesses = [
    "image", "audio", "gguf", "safetensors", "ctranslate2", "onnx",
    "tokenizer-json", "sentencepiece", "chat-template", "pipeline", "index",
]

let package = Package(
    name: "LoomFuzz",
    platforms: [.macOS(.v14)],
    products: harnesses.map { .executable(name: "fuzz-\($0)", targets: [targetName($0)]) },
    dependencies: [.package(name: "Loom", path: "..")],
    targets: [.target(name: "FuzzSupport", dependencies: [.product(name: "Loom", package: "Loom")], path: "Sources/FuzzSupport")]
        + harnesses.map { .executableTarget(name: targetName($0), dependencies: ["FuzzSupport", .product(name: "Loom", package: "Loom")], path: "Sources/\($0)") }
)

/// The module of a harness: "tokenizer-json" -> "FuzzTokenizerJson" (module names cannot hold dashes).
func targetName(_ harness: String) -> String {
    "Fuzz" + harness.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
}
