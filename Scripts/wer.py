"""Word error rate of `loom transcribe` and of faster-whisper on the Samples speech clips.

Truth texts are the words in Samples/audio/README.md. Both sides use the same model folder, beam,
language and threads, VAD off, fp32. Texts are normalized with openai-whisper's EnglishTextNormalizer
(whisper/normalizers/english.py, what Whisper's paper scores with) and scored with jiwer.
Usage: Scripts/wer [--model whisper-base] [--beam 5] [--threads 2]   (Scripts/wer builds loom first)
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import jiwer
from faster_whisper import WhisperModel
from whisper.normalizers import EnglishTextNormalizer

ROOT = Path(__file__).resolve().parent.parent
# From Samples/audio/README.md (the headings name each clip's words).
TRUTH = {
    "jfk": "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.",
    "arctic_a0007": "And you always want to see it in the superlative degree.",
}

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--model", default="whisper-base")
parser.add_argument("--beam", type=int, default=5)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--loom", default=str(ROOT / ".build/release/loom"))
args = parser.parse_args()

model_dir = Path(os.environ.get("LOOM_HOME", Path.home() / ".cache/loom")) / "models" / args.model
if not (model_dir / "model.bin").exists():
    sys.exit(f"no {model_dir}/model.bin: run `loom models pull {args.model}` (or set LOOM_HOME)")
clips = {name: ROOT / "Samples/audio" / f"{name}.wav" for name in TRUTH}

def loom_texts():
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([args.loom, "transcribe", *map(str, clips.values()), "--model", args.model,
                        "--beam", str(args.beam), "--language", "en", "--vad", "off",
                        "--threads", str(args.threads), "--format", "json", "--output-dir", out, "--overwrite"],
                       check=True, stdout=subprocess.DEVNULL)
        return {name: json.loads((Path(out) / f"{name}.json").read_text())["text"] for name in clips}

def faster_whisper_texts():
    model = WhisperModel(str(model_dir), device="cpu", compute_type="float32", cpu_threads=args.threads)
    texts = {}
    for name, path in clips.items():
        segments, _ = model.transcribe(str(path), beam_size=args.beam, language="en", vad_filter=False)
        texts[name] = "".join(segment.text for segment in segments)
    return texts

normalize = EnglishTextNormalizer()
print(f"model {args.model}, beam {args.beam}, {args.threads} threads, language en, VAD off, fp32; "
      f"EnglishTextNormalizer (openai-whisper {version('openai-whisper')}), jiwer {version('jiwer')}")
for system, texts in (("loom", loom_texts()), (f"faster-whisper {version('faster-whisper')}", faster_whisper_texts())):
    references = [normalize(TRUTH[name]) for name in clips]
    hypotheses = [normalize(texts[name]) for name in clips]
    print(f"\n{system}")
    for name, reference, hypothesis in zip(clips, references, hypotheses):
        words = jiwer.process_words(reference, hypothesis)
        print(f"  {name:<14} WER {words.wer:6.2%}  (S {words.substitutions} D {words.deletions} "
              f"I {words.insertions} of {len(reference.split())})  {texts[name].strip()!r}")
    overall = jiwer.process_words(references, hypotheses)
    print(f"  {'overall':<14} WER {overall.wer:6.2%}  (S {overall.substitutions} D {overall.deletions} "
          f"I {overall.insertions} of {sum(len(r.split()) for r in references)} words)")
