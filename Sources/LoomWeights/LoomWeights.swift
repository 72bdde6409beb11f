/// Weight file readers: safetensors, GGUF and CTranslate2, memory-mapped and bounds-checked.
