"""faster-whisper over a folder in one process: load the model once, transcribe each file, write SRT
and JSON next to nothing (into an output folder), as `loom run Pipelines/transcribe-folder.yaml` does.

The peer side of Benchmarks/pipeline/run. Settings follow faster_whisper.WhisperModel.transcribe
(site-packages/faster_whisper/transcribe.py): beam_size, language and vad_filter are set, the rest
are its defaults, which `loom transcribe` and the pipeline's transcribe step mirror.
Prints one JSON line: {"files", "load_s", "loop_s"}.
"""

import argparse
import json
import sys
import time
from pathlib import Path

from faster_whisper import WhisperModel


def timestamp(seconds):
    ms = int(round(max(0.0, seconds) * 1000))
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{ms:03d}"


parser = argparse.ArgumentParser()
parser.add_argument("folder")
parser.add_argument("output")
parser.add_argument("--model", required=True, help="CTranslate2 model folder")
parser.add_argument("--beam", type=int, default=5)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--language", default="en")
args = parser.parse_args()

load_start = time.perf_counter()
model = WhisperModel(args.model, device="cpu", compute_type="float32", cpu_threads=args.threads)
load_s = time.perf_counter() - load_start

out = Path(args.output)
out.mkdir(parents=True, exist_ok=True)
files = sorted(Path(args.folder).glob("*.wav"))
start = time.perf_counter()
for file in files:
    segments, info = model.transcribe(str(file), beam_size=args.beam, language=args.language, vad_filter=False)
    segments = list(segments)  # the generator decodes lazily
    srt = "".join(f"{i + 1}\n{timestamp(s.start)} --> {timestamp(s.end)}\n{s.text.strip()}\n\n" for i, s in enumerate(segments))
    (out / f"{file.name}.srt").write_text(srt)
    (out / f"{file.name}.json").write_text(json.dumps({
        "text": "".join(s.text for s in segments), "language": info.language,
        "segments": [{"start": s.start, "end": s.end, "text": s.text} for s in segments]}, indent=1))
loop_s = time.perf_counter() - start
print(json.dumps({"files": len(files), "load_s": round(load_s, 3), "loop_s": round(loop_s, 3)}))
sys.stdout.flush()
