/// Text tokenizers: byte-level BPE (tokenizer.json, GGUF metadata), WordPiece, special tokens, chat templates.
