"""Transcribe one audio file with faster-whisper and write {"text", "segments", "language", timings} as JSON.

The peer side of Benchmarks/transcribe/run: one process per file, like one `loom transcribe` per
file, so /usr/bin/time measures model load + decode + transcription for both.
Settings follow faster_whisper.WhisperModel.transcribe (site-packages/faster_whisper/transcribe.py);
only beam_size, language and vad_filter are set, the rest are its defaults (temperature fallback
0.0..1.0, condition_on_previous_text=True), which are what `loom transcribe` mirrors.
"""

import argparse
import json
import time

from faster_whisper import WhisperModel

parser = argparse.ArgumentParser()
parser.add_argument("audio")
parser.add_argument("output")
parser.add_argument("--model", required=True, help="CTranslate2 model folder")
parser.add_argument("--beam", type=int, default=5)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--language", default="en")
parser.add_argument("--compute-type", default="float32")
args = parser.parse_args()

load_start = time.perf_counter()
model = WhisperModel(args.model, device="cpu", compute_type=args.compute_type, cpu_threads=args.threads)
load_s = time.perf_counter() - load_start

start = time.perf_counter()
segments, info = model.transcribe(args.audio, beam_size=args.beam, language=args.language, vad_filter=False)
segments = list(segments)  # the generator decodes lazily: the time is spent here
transcribe_s = time.perf_counter() - start

with open(args.output, "w") as out:
    json.dump({
        "text": "".join(segment.text for segment in segments),
        "segments": [{"start": s.start, "end": s.end, "text": s.text} for s in segments],
        "language": info.language,
        "load_s": load_s,
        "transcribe_s": transcribe_s,
    }, out, indent=1)
