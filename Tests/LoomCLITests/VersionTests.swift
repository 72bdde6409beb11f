import Foundation
import LoomTestSupport
import Testing

/// `loom --version` names the build and the code paths in use; the shell completions that
/// swift-argument-parser generates cover every command.
@Suite struct VersionTests {
    @Test func versionNamesTheBuildAndTheKernels() throws {
        let result = try CLIRunner.run(["--version"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("loom 0.") == true && lines.first?.contains("(commit ") == true, "\(result.stdout)")
        #expect(lines.contains { $0.hasPrefix("kernels: ") } && lines.contains { $0.hasPrefix("BLAS: OpenBLAS") }, "\(result.stdout)")
    }

    @Test func completionScriptsCoverTheCommands() throws {
        for shell in ["bash", "zsh", "fish"] {
            let result = try CLIRunner.run(["--generate-completion-script", shell])
            #expect(result.status == 0, "\(shell): \(result.stderr)")
            for command in ["transcribe", "caption", "search", "run", "models"] {
                #expect(result.stdout.contains(command), "\(shell) completions name \(command)")
            }
        }
    }
}
