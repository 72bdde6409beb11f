"""Reference outputs for Loom's Whisper model (Sources/LoomModels/Whisper), into Tests/Fixtures/whisper/.

Run from the repository root with the reference venv:

    LOOM_HOME=/tmp/loomhome .venv-ref/bin/python Scripts/reference/dump_whisper.py

(a) Real whisper-tiny.en (CTranslate2 fp16 model.bin from the Loom model store):
    - features: whisper.audio.log_mel_spectrogram(pad_or_trim(jfk.wav)), 80 x 3000.
    - encoder output: ctranslate2.models.Whisper(compute_type="float32").encode(features); every 15th
      row of the (1500, 384) output plus summary stats (the whole array is 2.3 MB).
    - decoder logits and greedy ids: ctranslate2 has no per-step logits API, so the CT2 weights are
      converted (fp16 -> f32) into openai-whisper's PyTorch model (whisper/model.py), which gives exact
      logits for a fixed token prefix and a plain argmax loop. The script checks that this PyTorch
      model's encoder agrees with CTranslate2's and that its greedy ids equal CTranslate2's generate().
(b) A seeded random tiny Whisper in Hugging Face layout (transformers WhisperForConditionalGeneration),
    saved under Tests/Fixtures/whisper/tiny-random/ with its encoder output and decoder logits.
"""
import json
import os
import re
import wave
from pathlib import Path

import numpy as np
from _ct2 import read_ct2
import torch

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests/Fixtures/whisper"
OUT.mkdir(parents=True, exist_ok=True)
torch.set_num_threads(2)



def openai_state_dict(v: dict) -> tuple:
    """CTranslate2 WhisperSpec variables -> (ModelDimensions, openai-whisper state dict), all float32."""
    from whisper.model import ModelDimensions

    f = lambda name: torch.from_numpy(v[name].astype(np.float32))
    layers = lambda part: len({k.split("/")[1] for k in v if re.match(part + r"/layer_\d+/", k)})
    n_enc, n_dec = layers("encoder"), layers("decoder")
    d = v["encoder/conv1/weight"].shape[0]
    dims = ModelDimensions(
        n_mels=v["encoder/conv1/weight"].shape[1], n_audio_ctx=v["encoder/position_encodings/encodings"].shape[0],
        n_audio_state=d, n_audio_head=int(v["encoder/num_heads"]), n_audio_layer=n_enc,
        n_vocab=v["decoder/embeddings/weight"].shape[0], n_text_ctx=v["decoder/position_encodings/encodings"].shape[0],
        n_text_state=d, n_text_head=int(v["decoder/num_heads"]), n_text_layer=n_dec)
    sd = {}

    def linear(dst, src):
        sd[dst + ".weight"], sd[dst + ".bias"] = f(src + "/weight"), f(src + "/bias")

    def norm(dst, src):
        sd[dst + ".weight"], sd[dst + ".bias"] = f(src + "/gamma"), f(src + "/beta")

    def fused_self_attention(dst, src):
        w, b = f(src + "/linear_0/weight"), f(src + "/linear_0/bias")
        # openai-whisper's key projection has no bias; CTranslate2 stores zeros there.
        assert float(b[d:2 * d].abs().max()) == 0.0, "CT2 key bias is not zero"
        sd[dst + ".query.weight"], sd[dst + ".query.bias"] = w[:d], b[:d]
        sd[dst + ".key.weight"] = w[d:2 * d]
        sd[dst + ".value.weight"], sd[dst + ".value.bias"] = w[2 * d:], b[2 * d:]
        linear(dst + ".out", src + "/linear_1")

    def block(dst, src, cross):
        norm(dst + ".attn_ln", src + "/self_attention/layer_norm")
        fused_self_attention(dst + ".attn", src + "/self_attention")
        norm(dst + ".mlp_ln", src + "/ffn/layer_norm")
        linear(dst + ".mlp.0", src + "/ffn/linear_0")
        linear(dst + ".mlp.2", src + "/ffn/linear_1")
        if cross:
            norm(dst + ".cross_attn_ln", src + "/attention/layer_norm")
            linear(dst + ".cross_attn.query", src + "/attention/linear_0")
            w, b = f(src + "/attention/linear_1/weight"), f(src + "/attention/linear_1/bias")
            assert float(b[:d].abs().max()) == 0.0, "CT2 cross key bias is not zero"
            sd[dst + ".cross_attn.key.weight"] = w[:d]
            sd[dst + ".cross_attn.value.weight"], sd[dst + ".cross_attn.value.bias"] = w[d:], b[d:]
            linear(dst + ".cross_attn.out", src + "/attention/linear_2")

    linear("encoder.conv1", "encoder/conv1")
    linear("encoder.conv2", "encoder/conv2")
    sd["encoder.positional_embedding"] = f("encoder/position_encodings/encodings")
    for i in range(n_enc):
        block(f"encoder.blocks.{i}", f"encoder/layer_{i}", cross=False)
    norm("encoder.ln_post", "encoder/layer_norm")
    sd["decoder.token_embedding.weight"] = f("decoder/embeddings/weight")
    sd["decoder.positional_embedding"] = f("decoder/position_encodings/encodings")
    for i in range(n_dec):
        block(f"decoder.blocks.{i}", f"decoder/layer_{i}", cross=True)
    norm("decoder.ln", "decoder/layer_norm")
    return dims, sd


def summary(x: np.ndarray) -> dict:
    x = x.astype(np.float64)
    return {"shape": list(x.shape), "sum": float(x.sum()), "abs_sum": float(np.abs(x).sum()),
            "min": float(x.min()), "max": float(x.max())}


def dump_real_tiny_en():
    import ctranslate2
    import whisper
    from whisper.model import Whisper
    from whisper.tokenizer import get_tokenizer

    home = Path(os.environ.get("LOOM_HOME", Path.home() / ".cache/loom")) / "models/whisper-tiny.en"
    if not (home / "model.bin").exists():
        print("skip whisper-tiny.en: not installed at", home)
        return
    # 16-bit PCM as whisper.audio.load_audio gives it (int16 / 32768); no ffmpeg needed for a 16 kHz WAV.
    with wave.open(str(ROOT / "Samples/audio/jfk.wav")) as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2
        audio = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
    mel = whisper.audio.log_mel_spectrogram(whisper.audio.pad_or_trim(audio)).numpy()  # (80, 3000)

    ct2 = ctranslate2.models.Whisper(str(home), device="cpu", compute_type="float32", inter_threads=1, intra_threads=2)
    features = ctranslate2.StorageView.from_array(mel[None].astype(np.float32))
    encoded = np.array(ct2.encode(features, to_cpu=True))[0]  # (1500, 384)

    dims, sd = openai_state_dict(read_ct2(home / "model.bin")["variables"])
    model = Whisper(dims).eval()
    missing, unexpected = model.load_state_dict(sd, strict=False)
    assert not unexpected and set(missing) <= {"decoder.mask", "alignment_heads"}, (missing, unexpected)
    tokenizer = get_tokenizer(multilingual=False)
    prompt = list(tokenizer.sot_sequence_including_notimestamps)  # <|startoftranscript|> <|notimestamps|>
    with torch.no_grad():
        features_t = model.embed_audio(torch.from_numpy(mel)[None])
        print("torch encoder vs ctranslate2 encoder maxdiff", float(np.abs(features_t[0].numpy() - encoded).max()))
        ids = list(prompt)
        while len(ids) < 100:  # plain argmax, full recompute each step
            next_id = int(model.logits(torch.tensor([ids]), features_t)[0, -1].argmax())
            ids.append(next_id)
            if next_id == tokenizer.eot:
                break
        greedy = ids[len(prompt):]
        prefix = prompt + greedy[:8]
        logits = model.logits(torch.tensor([prefix]), features_t)[0].numpy()  # (10, vocab)

    ct2_ids = ct2.generate(features, [prompt], beam_size=1, return_scores=True)[0].sequences_ids[0]
    text = tokenizer.decode([t for t in greedy if t < tokenizer.eot])
    print("greedy text:", text)
    print("ctranslate2 generate equals plain argmax:", ct2_ids == [t for t in greedy if t != tokenizer.eot])
    # tiny.en drops the comma after "Americans" (CTranslate2 agrees, see above); the words must match.
    words = lambda s: re.sub(r"[^a-z ]", "", s.lower()).split()
    assert words(text) == words("And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.")

    rows = np.arange(0, encoded.shape[0], 15)
    encoded[rows].astype(np.float32).tofile(OUT / "tiny-en-encoder-rows.f32")
    vocab_step = 16
    logits[:, ::vocab_step].astype(np.float32).tofile(OUT / "tiny-en-logits-strided.f32")
    (OUT / "tiny-en.json").write_text(json.dumps({
        "audio": "Samples/audio/jfk.wav", "features": "log_mel_spectrogram(pad_or_trim(audio)), 80 x 3000",
        "encoder": {"rows_every": 15, "row_count": int(len(rows)), "file": "tiny-en-encoder-rows.f32", **summary(encoded)},
        "prompt": prompt, "greedy_ids": greedy, "text": text, "ctranslate2_generate_ids": ct2_ids,
        "logits": {"prefix": prefix, "vocab_step": vocab_step, "file": "tiny-en-logits-strided.f32",
                   "argmax": [int(a) for a in logits.argmax(-1)], "max": [float(m) for m in logits.max(-1)],
                   "sum": [float(s) for s in logits.astype(np.float64).sum(-1)]},
    }, indent=1))


def random_mel(n_mels: int, frames: int) -> np.ndarray:
    """A deterministic input both sides compute: sin(0.013 (c + 1) t) * 0.8 + cos(0.07 c + 0.001 t) * 0.3,
    in float64, then rounded to float32 (WhisperTinyRandomTests.mel builds the same)."""
    c = np.arange(n_mels, dtype=np.float64)[:, None]
    t = np.arange(frames, dtype=np.float64)[None, :]
    return (np.sin(0.013 * (c + 1) * t) * 0.8 + np.cos(0.07 * c + 0.001 * t) * 0.3).astype(np.float32)


def dump_tiny_random():
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    torch.manual_seed(1234)
    config = WhisperConfig(
        vocab_size=100, num_mel_bins=80, d_model=64, encoder_layers=2, decoder_layers=2,
        encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=128, decoder_ffn_dim=128,
        max_source_positions=1500, max_target_positions=32, pad_token_id=0, bos_token_id=1, eos_token_id=2,
        decoder_start_token_id=3, suppress_tokens=[4, 5], begin_suppress_tokens=[2, 6])
    model = WhisperForConditionalGeneration(config).eval()
    with torch.no_grad():  # random init leaves small weights; widen them so every term matters
        for name, p in model.named_parameters():
            if "layer_norm" in name:
                p.copy_(1 + 0.2 * torch.randn_like(p) if name.endswith("weight") else 0.2 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn_like(p))
    folder = OUT / "tiny-random"
    model.save_pretrained(folder, safe_serialization=True)
    mel = torch.from_numpy(random_mel(80, 3000))[None]
    prefix = [3, 17, 42, 99, 5, 61]
    with torch.no_grad():
        encoded = model.model.encoder(mel).last_hidden_state[0]  # (1500, 64)
        logits = model(encoder_outputs=(encoded[None],), decoder_input_ids=torch.tensor([prefix])).logits[0]
    rows = np.arange(0, 1500, 5)
    encoded.numpy()[rows].astype(np.float32).tofile(OUT / "tiny-random-encoder-rows.f32")
    logits.numpy().astype(np.float32).tofile(OUT / "tiny-random-logits.f32")
    (OUT / "tiny-random.json").write_text(json.dumps({
        "encoder": {"rows_every": 5, "file": "tiny-random-encoder-rows.f32", **summary(encoded.numpy())},
        "logits": {"prefix": prefix, "file": "tiny-random-logits.f32", "shape": list(logits.shape)},
    }, indent=1))
    print("tiny-random folder bytes", sum(p.stat().st_size for p in folder.iterdir()))


if __name__ == "__main__":
    dump_real_tiny_en()
    dump_tiny_random()
