import LoomTensor

extension LlamaSession {
    /// Runs a multimodal prompt after the cached positions: text chunks through the embedding table, media
    /// chunks as their rows, written in order straight into the session's input rows and run in one pass
    /// (one causal pass over all rows fills the same KV cache as chunk after chunk, and reads the weights
    /// once). Returns the last position's logits (vocab), or every new position's (T, vocab) with `allLogits`.
    public func forward(prompt: MultimodalPrompt, allLogits: Bool = false) throws -> Tensor {
        let hidden = model.config.hiddenSize
        for chunk in prompt.chunks {
            switch chunk {
            case let .text(ids):
                try model.checkTokens(ids)
            case let .media(media, _) where media.width != hidden:
                throw LlamaInputError(
                    "the \(media.kind.rawValue) embeddings are \(media.width) wide but the language model takes \(hidden); "
                        + "use the encoder and language model of one model folder")
            case .media:
                break
            }
        }
        return try forward(count: prompt.tokenCount, allLogits: allLogits) { x in
            var row = x
            for chunk in prompt.chunks {
                switch chunk {
                case let .text(ids):
                    for id in ids {
                        model.weights.embedding.dequantizeRow(id, into: row)
                        row += hidden
                    }
                case let .media(media, rows):
                    media.embeddings.data.withUnsafeBufferPointer { values in
                        row.update(from: values.baseAddress! + rows.lowerBound * hidden, count: rows.count * hidden)
                    }
                    row += rows.count * hidden
                }
            }
        }
    }
}
