#!/usr/bin/env python3
"""Dump a seeded random tiny Whisper shaped like large-v3-turbo for LoomModels' tests: 128 mel bins and
fewer decoder than encoder layers (turbo: 32 + 4), in Hugging Face layout, against transformers'
WhisperForConditionalGeneration. Writes Tests/Fixtures/whisper/tiny-random-128/ (the folder), its
encoder rows (every 5th) and decoder logits, and tiny-random-128.json.

Usage (from the repository root):  .venv-ref/bin/python Scripts/reference/dump_whisper_128.py
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dump_whisper import OUT, random_mel, summary  # noqa: E402


def main() -> None:
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    torch.manual_seed(4321)
    config = WhisperConfig(
        vocab_size=90, num_mel_bins=128, d_model=48, encoder_layers=3, decoder_layers=1,
        encoder_attention_heads=3, decoder_attention_heads=3, encoder_ffn_dim=96, decoder_ffn_dim=80,
        max_source_positions=1500, max_target_positions=24, pad_token_id=0, bos_token_id=1, eos_token_id=2,
        decoder_start_token_id=3, suppress_tokens=[4], begin_suppress_tokens=[2])
    model = WhisperForConditionalGeneration(config).eval()
    with torch.no_grad():  # widen the small random-init weights so every term matters
        for name, p in model.named_parameters():
            if "layer_norm" in name:
                p.copy_(1 + 0.2 * torch.randn_like(p) if name.endswith("weight") else 0.2 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn_like(p))
    folder = OUT / "tiny-random-128"
    model.save_pretrained(folder, safe_serialization=True)
    mel = torch.from_numpy(random_mel(128, 3000))[None]
    prefix = [3, 11, 57, 80, 6]
    with torch.no_grad():
        encoded = model.model.encoder(mel).last_hidden_state[0]  # (1500, 48)
        logits = model(encoder_outputs=(encoded[None],), decoder_input_ids=torch.tensor([prefix])).logits[0]
    rows = np.arange(0, 1500, 5)
    encoded.numpy()[rows].astype(np.float32).tofile(OUT / "tiny-random-128-encoder-rows.f32")
    logits.numpy().astype(np.float32).tofile(OUT / "tiny-random-128-logits.f32")
    (OUT / "tiny-random-128.json").write_text(json.dumps({
        "encoder": {"rows_every": 5, "file": "tiny-random-128-encoder-rows.f32", **summary(encoded.numpy())},
        "logits": {"prefix": prefix, "file": "tiny-random-128-logits.f32", "shape": list(logits.shape)},
    }, indent=1))
    print("tiny-random-128 folder bytes", sum(p.stat().st_size for p in folder.iterdir()))


if __name__ == "__main__":
    main()
