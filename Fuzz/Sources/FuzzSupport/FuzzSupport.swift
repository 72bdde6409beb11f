import Foundation
import LoomTokenizers

/// What every harness needs: the input as Data, text or a file, the check that a refusal names the
/// input, and the texts tokenizers are run on.
public enum Fuzz {
    /// libFuzzer's input bytes (its pointer may be dangling when `count` is 0).
    public static func data(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Data {
        guard let bytes, count > 0 else { return Data() }
        return Data(bytes: bytes, count: count)
    }

    /// The input as text, as a file read with `String(contentsOf:encoding: .utf8)` would give it once
    /// its bytes are valid UTF-8 (invalid sequences become U+FFFD, so every input is some text).
    public static func text(_ data: Data) -> String {
        String(decoding: data, as: UTF8.self)
    }

    /// A folder of this process's own in /dev/shm (RAM), removed at exit: the readers that take a
    /// URL (mmap, SQLite, the pipeline's paths) read each input from a file there.
    public static let folder: URL = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let url = URL(fileURLWithPath: base).appendingPathComponent("loom-fuzz-\(getpid())", isDirectory: true)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: Fuzz.folder) }
        return url
    }()

    /// Writes the input to `folder/name` (replacing the previous input) and returns its URL.
    public static func file(_ data: Data, name: String) -> URL {
        let url = folder.appendingPathComponent(name)
        try! data.write(to: url)
        return url
    }

    /// FUZZ_VERBOSE=1 prints every refusal: to see how far the seeds get into a format.
    static let verbose = ProcessInfo.processInfo.environment["FUZZ_VERBOSE"] != nil

    /// Prints `error` when FUZZ_VERBOSE is set.
    public static func note(_ error: Error) {
        if verbose { FileHandle.standardError.write(Data("refused: \(error)\n".utf8)) }
    }

    /// Loom's rule for bad input: the error names the file (or whatever the caller called the bytes),
    /// so a batch's log says which input failed. An error that does not is a finding like a crash.
    public static func expectNamed(_ error: Error, _ name: String, file: StaticString = #file, line: UInt = #line) {
        note(error)
        let message = "\(error)"
        guard message.contains(name) else {
            fatalError("the error does not name '\(name)': \(message)", file: file, line: line)
        }
    }

    /// Texts a tokenizer meets: words, digits, punctuation, whitespace runs, accents, CJK, emoji,
    /// invalid-looking markup and the special tokens of the usual vocabularies.
    public static let sampleTexts = [
        "Hello, world! It's 2024: 3.14159 and 1,000,000 people.",
        "  leading and   inner   spaces\tand\ttabs\nand\r\nnew lines  ",
        "Ünïcödé façade naïve café Æsir ß İstanbul",
        "日本語のテキストと中文字符 한국어",
        "emoji 😀👍🏽👨‍👩‍👧 flags 🇫🇷 and a lone \u{301}accent",
        "<|endoftext|><|im_start|>user\nHi<|im_end|><s></s><unk>[CLS] [SEP] [PAD] [MASK]<|startoftext|>",
        "",
        "a",
        String(repeating: "ab", count: 200),
    ]

    /// Runs a byte-level BPE tokenizer the way generation and transcription do: encode with and
    /// without special tokens, decode (skipping specials and not), stream-decode.
    public static func exercise(_ tokenizer: Tokenizer) {
        for text in sampleTexts {
            let ids = tokenizer.encode(text, addSpecialTokens: true)
            _ = try? tokenizer.decode(ids, skipSpecialTokens: true)
            _ = try? tokenizer.decode(tokenizer.encode(text, addSpecialTokens: false))
            // StreamingDecoder's promise: what it hands out, joined, is the whole decode.
            var stream = StreamingDecoder(tokenizer: tokenizer)
            var streamed = ""
            for id in ids { streamed += (try? stream.append(id)) ?? "" }
            streamed += stream.finish()
            let whole = try? tokenizer.decode(ids, skipSpecialTokens: true)
            precondition(whole == nil || streamed == whole, "streamed \(streamed.debugDescription) != decoded \(whole!.debugDescription)")
        }
        _ = try? tokenizer.decode(Array(0..<min(tokenizer.vocabularySize, 512)))
        for id in [-1, 0, tokenizer.vocabularySize - 1, tokenizer.vocabularySize, Int.max] {
            _ = tokenizer.token(for: id)
            _ = tokenizer.bytes(for: id)
        }
    }
}
