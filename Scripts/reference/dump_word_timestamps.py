"""Word-timestamp references for Loom's tests (issue #18).

1. faster-whisper's `word_timestamps=True` (greedy: beam 1, temperature 0 only, no VAD) on the same
   CTranslate2 model folders Loom pulls, on Samples/ speech and a long sample (jfk, arctic, jfk, arctic,
   jfk joined, ~40 s: two windows, so the seek to the last word is exercised):
   Tests/Fixtures/words/<model>.json.
4. openai-whisper's `find_alignment` on a Hugging Face checkpoint: the seeded tiny
   WhisperForConditionalGeneration of Tests/Fixtures/whisper/tiny-random (no alignment_heads, so the
   default heads: the last half of the decoder layers), its weights renamed into openai-whisper's
   `Whisper` module, over a fixed mel and token list with a one-word-per-token tokenizer:
   Tests/Fixtures/words/openai-tiny-random.json.
3. openai-whisper's WriteSRT / WriteVTT (utils.py) over those words with max_line_width,
   max_line_count and highlight_words: Tests/Fixtures/words/writers.json.
2. openai-whisper's timing.py pieces on seeded random inputs: `median_filter` (width 7), `dtw_cpu`,
   and the attention-to-matrix steps of `find_alignment`: Tests/Fixtures/words/timing.json.

Needs the models pulled into $LOOM_HOME (default ~/.cache/loom): `loom models pull whisper-tiny.en whisper-base`.
Run with the reference venv: `$(Scripts/reference-venv) Scripts/reference/dump_word_timestamps.py`.
"""
import json
import os
import wave

import numpy as np
import torch
from faster_whisper import WhisperModel
from whisper.timing import dtw_cpu, median_filter
from whisper.utils import WriteSRT, WriteVTT

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
HOME = os.environ.get("LOOM_HOME") or os.path.expanduser("~/.cache/loom")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "words")
JFK, ARCTIC = "Samples/audio/jfk.wav", "Samples/audio/arctic_a0007.wav"
# The long sample: these clips end to end (the Swift test joins the same samples).
LONG = [JFK, ARCTIC, JFK, ARCTIC, JFK]


def read_wav(path):
    # 16 kHz mono 16-bit, read as whisper does (int16 / 32768); no ffmpeg needed.
    with wave.open(os.path.join(ROOT, path)) as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768.0


def transcripts():
    clips = {JFK: read_wav(JFK), ARCTIC: read_wav(ARCTIC), "long": np.concatenate([read_wav(p) for p in LONG])}
    for name in ["whisper-tiny.en", "whisper-base"]:
        model = WhisperModel(os.path.join(HOME, "models", name), device="cpu", compute_type="float32", cpu_threads=2)
        results = {}
        for clip, audio in clips.items():
            segments, _ = model.transcribe(
                audio, beam_size=1, temperature=0.0, vad_filter=False, language="en",
                condition_on_previous_text=True, word_timestamps=True)
            segments = list(segments)
            results[clip] = {
                "text": "".join(s.text for s in segments),
                "segments": [{
                    "start": s.start, "end": s.end, "text": s.text,
                    "words": [{"word": w.word, "start": w.start, "end": w.end, "probability": w.probability} for w in s.words],
                } for s in segments],
            }
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump({"long": LONG, "clips": results}, f, indent=1, ensure_ascii=False)
        print(name, {k: v["text"] for k, v in results.items()})


def timing_pieces():
    rng = np.random.default_rng(18)
    # median_filter along the last axis: a row longer than the width, one of exactly 4 (= width//2 + 1),
    # and one of 3 (<= width // 2, returned unchanged).
    rows = [rng.standard_normal(n).astype(np.float32) for n in (23, 4, 3)]
    medians = [median_filter(torch.from_numpy(r), 7).numpy() for r in rows]
    # dtw_cpu on a cost matrix (the negated alignment matrix).
    cost = rng.standard_normal((9, 31)).astype(np.float32)
    path = dtw_cpu(cost.astype(np.float64))
    # find_alignment's steps from raw scores (heads, tokens, frames) to the mean over heads.
    scores = (rng.standard_normal((3, 8, 40)) * 3).astype(np.float32)
    weights = torch.from_numpy(scores).softmax(dim=-1)
    std, mean = torch.std_mean(weights, dim=-2, keepdim=True, unbiased=False)
    weights = median_filter((weights - mean) / std, 7)
    matrix = weights.mean(axis=0).numpy()
    with open(os.path.join(OUT, "timing.json"), "w") as f:
        json.dump({
            "median": [{"input": r.tolist(), "output": m.tolist()} for r, m in zip(rows, medians)],
            "dtw": {"cost": cost.tolist(), "rows": path[0].tolist(), "columns": path[1].tolist()},
            "matrix": {"scores": scores.tolist(), "output": matrix.tolist()},
        }, f)


def random_mel(n_mels, frames):
    # Scripts/reference/dump_whisper.py's input: sin(0.013 (c + 1) t) * 0.8 + cos(0.07 c + 0.001 t) * 0.3.
    c = np.arange(n_mels, dtype=np.float64)[:, None]
    t = np.arange(frames, dtype=np.float64)[None, :]
    return (np.sin(0.013 * (c + 1) * t) * 0.8 + np.cos(0.07 * c + 0.001 * t) * 0.3).astype(np.float32)


def openai_alignment():
    from safetensors.torch import load_file
    from whisper.model import ModelDimensions, Whisper
    from whisper.timing import find_alignment

    folder = os.path.join(ROOT, "Tests", "Fixtures", "whisper", "tiny-random")
    hf = load_file(os.path.join(folder, "model.safetensors"))
    dims = ModelDimensions(n_mels=80, n_audio_ctx=1500, n_audio_state=64, n_audio_head=4, n_audio_layer=2,
                           n_vocab=100, n_text_ctx=32, n_text_state=64, n_text_head=4, n_text_layer=2)
    model = Whisper(dims).eval()
    # openai-whisper's blocks have 4 x width MLPs; this checkpoint's are decoder_ffn_dim = 128 wide.
    from whisper.model import Linear
    for block in list(model.encoder.blocks) + list(model.decoder.blocks):
        block.mlp = torch.nn.Sequential(Linear(64, 128), torch.nn.GELU(), Linear(128, 64))
    renames = [("model.", ""), ("encoder.layers.", "encoder.blocks."), ("decoder.layers.", "decoder.blocks."),
               (".self_attn_layer_norm.", ".attn_ln."), (".encoder_attn_layer_norm.", ".cross_attn_ln."),
               (".final_layer_norm.", ".mlp_ln."), (".self_attn.", ".attn."), (".encoder_attn.", ".cross_attn."),
               (".q_proj.", ".query."), (".k_proj.", ".key."), (".v_proj.", ".value."), (".out_proj.", ".out."),
               (".fc1.", ".mlp.0."), (".fc2.", ".mlp.2."), ("encoder.layer_norm.", "encoder.ln_post."),
               ("decoder.layer_norm.", "decoder.ln."), ("encoder.embed_positions.weight", "encoder.positional_embedding"),
               ("decoder.embed_positions.weight", "decoder.positional_embedding"),
               ("decoder.embed_tokens.", "decoder.token_embedding.")]
    state = {}
    for name, value in hf.items():
        if name == "proj_out.weight":
            continue  # tied to the token embedding
        for old, new in renames:
            name = name.replace(old, new)
        state[name] = value
    model.load_state_dict(state, strict=True)

    class OneWordPerToken:
        # The ids the Swift test gives WhisperDecodingTokens: sot 3, eot 90, <|notimestamps|> 91.
        sot_sequence, eot, no_timestamps = (3,), 90, 91

        def split_to_word_tokens(self, tokens):
            return [" w%d" % t for t in tokens], [[t] for t in tokens]

    text = [17, 42, 61, 20, 33, 88, 15, 71, 50, 64, 12, 29]
    num_frames = 2000  # 20 s of content: the softmax runs over the first 1000 encoder positions
    mel = torch.from_numpy(random_mel(80, 3000))
    words = find_alignment(model, OneWordPerToken(), text, mel, num_frames)
    with open(os.path.join(OUT, "openai-tiny-random.json"), "w") as f:
        json.dump({"text_tokens": text, "num_frames": num_frames, "sot": 3, "eot": 90, "no_timestamps": 91,
                   "words": [{"word": w.word, "start": float(w.start), "end": float(w.end), "probability": float(w.probability)}
                             for w in words]}, f, indent=1)
    print("openai find_alignment", [(w.word, float(w.start), float(w.end)) for w in words])


def writers():
    import io
    with open(os.path.join(OUT, "whisper-base.json")) as f:
        clips = json.load(f)["clips"]
    cases = []
    for clip in [JFK, "long"]:
        result = {"segments": clips[clip]["segments"]}
        for options in [{}, {"max_line_width": 20}, {"max_line_width": 24, "max_line_count": 2},
                        {"highlight_words": True}, {"max_line_width": 30, "max_line_count": 1, "highlight_words": True}]:
            case = {"clip": clip, "options": options}
            for name, writer in [("srt", WriteSRT), ("vtt", WriteVTT)]:
                out = io.StringIO()
                writer(OUT).write_result(result, out, options)
                case[name] = out.getvalue()
            cases.append(case)
    with open(os.path.join(OUT, "writers.json"), "w") as f:
        json.dump(cases, f, indent=1, ensure_ascii=False)


os.makedirs(OUT, exist_ok=True)
timing_pieces()
openai_alignment()
transcripts()
writers()
