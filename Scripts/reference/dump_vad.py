"""Reference values for Loom's Silero VAD tests (Tests/LoomModelsTests/SileroVAD*.swift).

Runs the official silero-vad 6.2.3 package (pip install --no-deps silero-vad==6.2.3 into .venv-ref):
its stock TorchScript model (silero_vad/data/silero_vad.jit, the network faster-whisper also runs).
Loom reads the same weights from silero_vad/data/silero_vad_16k_op15.onnx; this script checks that the
ONNX file's initializers equal the TorchScript weights (max difference stored as
`loom_weights_vs_stock_jit_maxdiff`, 0 when they are the same) and that the stock .jit and .onnx
models agree (`stock_jit_vs_onnx_maxdiff`). (The wheel's silero_vad_16k.safetensors holds other,
older trained weights, whose probabilities differ by up to ~0.4 on jfk.wav; Loom no longer uses it.)

Per clip it stores the speech probability of every 512-sample chunk, computed with the loop of
`get_speech_timestamps` (reset_states, zero-padded last chunk, 64 samples of context carried by the
model wrapper), and the output of `get_speech_timestamps` itself. It also stores
`get_speech_timestamps_from_probs` on the reference probabilities under several option sets, so the
Swift state machine can be checked sample-exactly without model noise.

Usage: dump_vad.py REPO_ROOT ONNX_PATH  (writes Tests/Fixtures/vad/vad_reference.json)
"""
import json
import os
import subprocess
import sys
import warnings
import wave

import numpy as np
import torch
from silero_vad import load_silero_vad
from silero_vad.utils_vad import get_speech_timestamps, get_speech_timestamps_from_probs

warnings.filterwarnings("ignore")
torch.set_num_threads(1)

def onnx_initializers(path: str) -> dict:
    """Float initializers of an ONNX model's top-level graph (ModelProto.graph.initializer), by name."""
    def varint(b, i):
        result = shift = 0
        while True:
            c = b[i]; i += 1
            result |= (c & 0x7F) << shift; shift += 7
            if c < 0x80:
                return result, i

    def fields(b):
        i = 0
        while i < len(b):
            key, i = varint(b, i)
            field, wire = key >> 3, key & 7
            if wire == 0:
                value, i = varint(b, i)
            elif wire == 1:
                value, i = b[i:i + 8], i + 8
            elif wire == 5:
                value, i = b[i:i + 4], i + 4
            else:
                n, i = varint(b, i)
                value, i = b[i:i + n], i + n
            yield field, value

    tensors = {}
    data = open(path, "rb").read()
    for field, graph in fields(data):
        if field != 7:
            continue
        for field, tensor in fields(graph):
            if field != 5:
                continue
            dims, name, raw = [], None, None
            for f, v in fields(tensor):
                if f == 1:
                    dims.append(v)
                elif f == 8:
                    name = v.decode()
                elif f == 9:
                    raw = v
            tensors[name] = np.frombuffer(raw, dtype="<f4").reshape(dims)
    return tensors


# Option sets for the state-machine check; the Swift test builds the same ones by name.
OPTION_SETS = {
    "default": {},
    "max_speech_2s": {"max_speech_duration_s": 2.0},
    "max_speech_2s_last_silence": {"max_speech_duration_s": 2.0, "use_max_poss_sil_at_max_speech": False},
    "threshold_0.3_pad_100": {"threshold": 0.3, "speech_pad_ms": 100},
    "min_silence_300_min_speech_500": {"min_silence_duration_ms": 300, "min_speech_duration_ms": 500},
}


def read_pcm16(path: str) -> np.ndarray:
    """int16 / 32768 as float32, as libsndfile's float reads give; FLAC through sox (no soundfile here)."""
    if path.endswith(".wav"):
        with wave.open(path, "rb") as w:
            assert w.getnchannels() == 1 and w.getsampwidth() == 2 and w.getframerate() == 16000, path
            ints = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    else:
        raw = subprocess.run(["sox", path, "-t", "raw", "-e", "signed", "-b", "16", "-c", "1", "-"],
                             check=True, capture_output=True).stdout
        ints = np.frombuffer(raw, dtype="<i2")
    return (ints.astype(np.float32) / 32768.0).astype(np.float32)


def concatenation(speech: np.ndarray) -> np.ndarray:
    """arctic_a0007.wav (one utterance), 3 s of zeros, arctic_a0007.wav again; the Swift tests build the same."""
    return np.concatenate([speech, np.zeros(3 * 16000, dtype=np.float32), speech])


def chunk_probabilities(model, audio: np.ndarray) -> list:
    """The probability loop of get_speech_timestamps."""
    model.reset_states()
    tensor = torch.from_numpy(audio)
    probs = []
    for start in range(0, len(audio), 512):
        chunk = tensor[start:start + 512]
        if len(chunk) < 512:
            chunk = torch.nn.functional.pad(chunk, (0, 512 - len(chunk)))
        probs.append(model(chunk, 16000).item())
    return probs


def main() -> None:
    root, onnx_path = sys.argv[1:3]
    stock = load_silero_vad(onnx=False)
    onnx = load_silero_vad(onnx=True)
    model = stock
    state = {k.lstrip("_"): v.numpy() for k, v in stock.state_dict().items() if k.startswith("_model.")}
    loom_weights = onnx_initializers(onnx_path)
    assert sorted(loom_weights) == sorted(state), (sorted(loom_weights), sorted(state))
    weights_diff = max(float(np.abs(loom_weights[k] - state[k]).max()) for k in state)

    jfk = read_pcm16(os.path.join(root, "Samples/audio/jfk.wav"))
    arctic = read_pcm16(os.path.join(root, "Samples/audio/arctic_a0007.wav"))
    clips = {
        "jfk.wav": jfk,
        "arctic_a0007.wav": arctic,
        "silence_2s.flac": read_pcm16(os.path.join(root, "Tests/Fixtures/audio/silence_2s.flac")),
        "pink_noise_2s.flac": read_pcm16(os.path.join(root, "Tests/Fixtures/audio/pink_noise_2s.flac")),
        "concatenation": concatenation(arctic),
    }
    stock_jit = np.array(chunk_probabilities(stock, jfk))
    stock_onnx = np.array(chunk_probabilities(onnx, jfk))
    out = {
        "stock_jit_vs_onnx_maxdiff": float(np.abs(stock_jit - stock_onnx).max()),
        "loom_weights_vs_stock_jit_maxdiff": weights_diff,
        "clips": {},
    }
    for name, audio in clips.items():
        probs = chunk_probabilities(model, audio)
        entry = {
            "samples": int(len(audio)),
            "sum": float(audio.astype(np.float64).sum()),
            "probabilities": probs,
            "timestamps": get_speech_timestamps(torch.from_numpy(audio), model),
            "from_probs": {key: get_speech_timestamps_from_probs(probs, audio_length_samples=len(audio), **opts)
                           for key, opts in OPTION_SETS.items()},
        }
        out["clips"][name] = entry
        print(name, len(probs), "chunks, segments:", entry["timestamps"])
    print("stock jit vs stock onnx maxdiff", out["stock_jit_vs_onnx_maxdiff"])
    print("Loom's ONNX weights vs stock jit maxdiff", weights_diff)
    path = os.path.join(root, "Tests/Fixtures/vad/vad_reference.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
