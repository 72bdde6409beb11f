import FuzzSupport
import Foundation
import LoomPipeline

/// A pipeline file as `loom run --dry-run` checks it before anything runs: YAML (Yams and its libyaml
/// core), the spec parser and the validator (steps, needs, parameters, models). Every problem is a
/// located error naming the file.
let file = Fuzz.folder.appendingPathComponent("fuzz-input.yaml")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPipeline(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    do {
        let spec = try PipelineParser.parse(yaml: Fuzz.text(Fuzz.data(bytes, count)), file: file)
        _ = try PipelineValidator.validate(spec)
    } catch {
        Fuzz.expectNamed(error, "fuzz-input.yaml")
    }
    return 0
}
