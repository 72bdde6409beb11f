import Foundation
import LoomWeights

/// Loading the tokenizer a GGUF file carries in its metadata (`tokenizer.ggml.*`), as llama.cpp
/// (src/llama-vocab.cpp, `llama_vocab::impl::load`) and transformers
/// (integrations/gguf/gguf_tokenizer_mapping.py, `byte_level_tokenizer`) read it.
extension Tokenizer {
    /// GGUF `tokenizer.ggml.token_type` values (llama.cpp `llama_token_type`).
    enum GGUFTokenType: Int {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    public static func load(gguf url: URL) throws -> Tokenizer {
        let file: GGUFFile
        do {
            file = try GGUFFile(url: url)
        } catch {
            throw TokenizerError(.unreadable, source: url.path, "cannot read the GGUF file (\(error))")
        }
        return try load(gguf: file)
    }

    public static func load(gguf file: GGUFFile) throws -> Tokenizer {
        try load(ggufMetadata: file.metadata, source: file.path)
    }

    public static func load(ggufMetadata metadata: [String: GGUFValue], source: String) throws -> Tokenizer {
        guard let kind = metadata["tokenizer.ggml.model"]?.string else {
            throw TokenizerError(.malformed, source: source, "no tokenizer.ggml.model in the metadata: this GGUF carries no tokenizer")
        }
        guard kind == "gpt2" else {
            throw TokenizerError(.unsupported, source: source, "tokenizer.ggml.model '\(kind)' is not supported; Loom reads byte-level BPE ('gpt2') vocabularies")
        }
        guard let tokens = metadata["tokenizer.ggml.tokens"]?.strings, !tokens.isEmpty else {
            throw TokenizerError(.malformed, source: source, "tokenizer.ggml.tokens is missing or not a list of strings")
        }
        guard let mergeLines = metadata["tokenizer.ggml.merges"]?.strings else {
            throw TokenizerError(.malformed, source: source, "tokenizer.ggml.merges is missing or not a list of strings")
        }
        let preName = metadata["tokenizer.ggml.pre"]?.string ?? "default"
        guard let steps = PreTokenizerStep.steps(forGGUFPre: preName) else {
            throw TokenizerError(.unsupported, source: source, "tokenizer.ggml.pre '\(preName)' names a pre-tokenizer regex Loom does not implement")
        }
        var types: [Int] = []
        if let value = metadata["tokenizer.ggml.token_type"] {
            guard let list = value.array?.compactMap(\.int), list.count == tokens.count else {
                throw TokenizerError(.malformed, source: source, "tokenizer.ggml.token_type must hold one integer per token (\(tokens.count))")
            }
            types = list
        }

        // Tokens are stored in the byte alphabet; one outside it is spelled from its UTF-8 bytes.
        var vocabulary: [String: Int] = [:]
        vocabulary.reserveCapacity(tokens.count)
        var added: [AddedToken] = []
        for (id, token) in tokens.enumerated() {
            let spelled = ByteLevel.isSpelled(token)
            vocabulary[spelled ? token : ByteLevel.spell(token.utf8)] = id
            let type = types.isEmpty ? nil : GGUFTokenType(rawValue: types[id])
            // A control token written outside the byte alphabet is a llama.cpp mislabel that
            // transformers skips; we follow the reference.
            if type == .control && spelled { added.append(AddedToken(content: token, id: id, special: true)) }
            if type == .userDefined { added.append(AddedToken(content: token, id: id, special: false)) }
        }
        var merges: [(String, String)] = []
        merges.reserveCapacity(mergeLines.count)
        for (index, line) in mergeLines.enumerated() {
            let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw TokenizerError(.malformed, source: source, "tokenizer.ggml.merges[\(index)] '\(line)' is not two tokens separated by a space")
            }
            merges.append((String(parts[0]), String(parts[1])))
        }
        let model = try BPEModel(vocabulary: vocabulary, merges: merges, source: source)

        func tokenID(_ key: String) throws -> Int? {
            guard let value = metadata[key] else { return nil }
            guard let id = value.int, id >= 0, id < tokens.count else {
                throw TokenizerError(.malformed, source: source, "\(key) is not a token id below \(tokens.count)")
            }
            return id
        }
        let bos = try tokenID("tokenizer.ggml.bos_token_id")
        let eos = try tokenID("tokenizer.ggml.eos_token_id")
        let pad = try tokenID("tokenizer.ggml.padding_token_id")
        let addBOS = metadata["tokenizer.ggml.add_bos_token"]?.bool ?? false
        let addEOS = metadata["tokenizer.ggml.add_eos_token"]?.bool ?? false
        return Tokenizer(source: source, model: model, preTokenizer: steps,
                         // `tokenizer.ggml.add_space_prefix` is a sentencepiece setting: neither
                         // llama.cpp's BPE tokenizer nor transformers' GPT2Tokenizer applies it.
                         addPrefixSpace: false,
                         addedTokens: added,
                         prefixIDs: addBOS ? bos.map { [$0] } ?? [] : [],
                         suffixIDs: addEOS ? eos.map { [$0] } ?? [] : [],
                         bosTokenID: bos, eosTokenID: eos, padTokenID: pad,
                         chatTemplate: metadata["tokenizer.chat_template"]?.string)
    }
}
