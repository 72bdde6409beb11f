"""The peer side of Benchmarks/ocr: rapidocr-onnxruntime 1.4.4 (PP-OCRv4, default config.yaml) on a list
of images, in one process, with onnxruntime's intra-op thread count set.

    rapidocr_ocr.py OUT_JSON THREADS IMAGE...

Loads the three ONNX sessions once (timed as `load_s`), then OCRs every image in order, once (no
extra warm-up run: the process does the same work as `loom ocr` on the same list; `run` shows the
rate after the first image apart). Writes per image the wall seconds of `RapidOCR.__call__`, its own
det/cls/rec times, and the lines (box, text, score), so `run` can compare texts with Loom's.
"""
import json
import os
import sys
import time
from pathlib import Path

# Threads are the onnxruntime sessions' (below); keep numpy/OpenCV from adding their own.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2  # noqa: E402
from rapidocr_onnxruntime import RapidOCR  # noqa: E402


def main() -> None:
    out, threads, images = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    cv2.setNumThreads(1)
    start = time.perf_counter()
    # Global intra/inter_op_num_threads are copied to the three sessions (utils/parse_parameters.py).
    engine = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1)
    load_s = time.perf_counter() - start
    session_threads = engine.text_det.infer.session.get_session_options().intra_op_num_threads
    if session_threads != threads:
        sys.exit(f"rapidocr_ocr.py: onnxruntime runs {session_threads} threads, not {threads} "
                 f"(RapidOCR only sets 1..os.cpu_count() = {os.cpu_count()})")

    results = []
    for path in images:
        start = time.perf_counter()
        lines, elapse = engine(path)
        wall = time.perf_counter() - start
        results.append({
            "image": path, "seconds": wall,
            "det_s": elapse[0] if elapse else 0.0, "cls_s": elapse[1] if elapse else 0.0,
            "rec_s": elapse[2] if elapse else 0.0,
            "lines": [{"box": box, "text": text, "score": float(score)} for box, text, score in (lines or [])],
        })
    out.write_text(json.dumps({"threads": threads, "load_s": load_s,
                               "ocr_s": sum(r["seconds"] for r in results), "images": results},
                              ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
