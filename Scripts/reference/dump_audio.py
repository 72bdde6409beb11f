"""Reference values for Loom's audio decoder tests (Tests/LoomMediaTests/AudioDecoderReferenceTests.swift).

Reads 16-bit PCM WAVs with Python's own `wave` module (independent of libsndfile) and writes, per file,
the sample count, float64 sum and sum of squares of int16/32768, an FNV-1a 64-bit hash of the int16
values, and three 256-sample slices as float32. Usage: dump_audio.py SAMPLES_DIR FIXTURES_DIR
"""
import json
import os
import sys
import wave

import numpy as np


def fnv1a64(values: np.ndarray) -> str:
    """FNV-1a over the little-endian int16 bytes; the Swift test hashes its decoded samples the same way."""
    h = 0xCBF29CE484222325
    for byte in values.astype("<i2").tobytes():
        h ^= byte
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def describe(path: str) -> dict:
    with wave.open(path, "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1, path
        rate = w.getframerate()
        ints = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    floats = ints.astype(np.float64) / 32768.0
    starts = [0, len(ints) // 2, len(ints) - 256]
    return {
        "sample_rate": rate,
        "count": int(len(ints)),
        "sum": float(floats.sum()),
        "sum_of_squares": float((floats * floats).sum()),
        "fnv1a64_int16": fnv1a64(ints),
        "slices": [{"start": s, "values": (ints[s:s + 256] / 32768.0).astype(np.float32).tolist()} for s in starts],
    }


def main() -> None:
    samples, fixtures = sys.argv[1:3]
    reference = {name: describe(os.path.join(samples, name)) for name in ["jfk.wav", "arctic_a0007.wav"]}
    reference["arctic_head_pcm16.wav"] = describe(os.path.join(fixtures, "arctic_head_pcm16.wav"))
    with open(os.path.join(fixtures, "wav_reference.json"), "w") as f:
        json.dump(reference, f)
    print("wrote", os.path.join(fixtures, "wav_reference.json"))


if __name__ == "__main__":
    main()
