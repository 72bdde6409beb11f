/// Model families, one folder each (Llama/, Whisper/, SileroVAD/, ...): config, weights, forward pass.
