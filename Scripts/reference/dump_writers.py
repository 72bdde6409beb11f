"""Writes a fixed transcript through openai-whisper's writers (whisper/utils.py) into
Tests/Fixtures/writers/, the expected output of Loom's TranscriptFormat.

Cases: rounding at half milliseconds (Python rounds halves to even), a segment past one hour
(VTT then shows hours), text with the cue arrow, leading/trailing spaces, tabs, non-ASCII.
"""
import io
import json
import os

from whisper.utils import WriteSRT, WriteTSV, WriteTXT, WriteVTT

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures", "writers")


def segment(i, start, end, text):
    return {"id": i, "seek": 0, "start": start, "end": end, "text": text, "tokens": [50364 + i],
            "temperature": 0.0, "avg_logprob": -0.25, "compression_ratio": 1.5, "no_speech_prob": 0.01}


result = {
    "text": " And so my fellow Americans, ask not what your country can do for you",
    "language": "en",
    "segments": [
        segment(0, 0.0, 2.0005, " And so my fellow Americans,"),
        segment(1, 2.0015, 7.5, " ask not --> what\tyour country can do for you  "),
        segment(2, 59.9995, 61.25, " Ça va? 日本語"),
        segment(3, 3599.9996, 3725.125, "  past the first hour "),
    ],
}

os.makedirs(ROOT, exist_ok=True)
with open(os.path.join(ROOT, "transcript.json"), "w") as f:
    json.dump(result, f, ensure_ascii=False, indent=1)
for writer in (WriteTXT, WriteSRT, WriteVTT, WriteTSV):
    buffer = io.StringIO()
    writer(ROOT).write_result(result, file=buffer)
    with open(os.path.join(ROOT, "expected." + writer.extension), "w", encoding="utf-8") as f:
        f.write(buffer.getvalue())
print("wrote", ROOT)
