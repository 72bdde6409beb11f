"""Golden transcripts for Loom's transcription tests: faster-whisper (CTranslate2) on the same
CTranslate2 weights Loom pulls, greedy (beam 1, temperature 0 only), no VAD, on Samples/ speech.
Writes Tests/Fixtures/transcripts/<model>.json. Needs the models pulled into $LOOM_HOME
(default ~/.cache/loom): `loom models pull whisper-tiny.en whisper-base`.
"""
import json
import os
import wave

import numpy as np
from faster_whisper import WhisperModel

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
HOME = os.environ.get("LOOM_HOME") or os.path.expanduser("~/.cache/loom")
CLIPS = ["Samples/audio/jfk.wav", "Samples/audio/arctic_a0007.wav"]


def read_wav(path):
    # 16 kHz mono 16-bit, read as whisper does (int16 / 32768); no ffmpeg needed.
    with wave.open(path) as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768.0


out_dir = os.path.join(ROOT, "Tests", "Fixtures", "transcripts")
os.makedirs(out_dir, exist_ok=True)
for name in ["whisper-tiny.en", "whisper-base"]:
    model = WhisperModel(os.path.join(HOME, "models", name), device="cpu", compute_type="float32", cpu_threads=2)
    results = {}
    for clip in CLIPS:
        segments, info = model.transcribe(
            read_wav(os.path.join(ROOT, clip)), beam_size=1, temperature=0.0, vad_filter=False,
            language="en", condition_on_previous_text=True, without_timestamps=False)
        segments = list(segments)
        results[clip] = {
            "text": "".join(s.text for s in segments),
            "segments": [{"start": s.start, "end": s.end, "text": s.text, "tokens": s.tokens} for s in segments],
        }
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        json.dump(results, f, indent=1, ensure_ascii=False)
    print(name, json.dumps({k: v["text"] for k, v in results.items()}, ensure_ascii=False))
