"""Reference outputs of PP-OCRv4's three ONNX graphs for Loom's graph executor tests
(Tests/LoomModelsTests/ONNXProgramTests.swift): onnxruntime on the CPU, on fixed inputs.

The inputs are deterministic, print-like NCHW tensors (white paper, two lines of dark glyph-like
marks, shading, seeded noise) in RapidOCR's normalized range [-1, 1], so every operator of each graph
runs on values of a realistic size and the detection map finds text (neither all 0 nor all 1).

Writes Tests/Fixtures/ocr-graphs/{det,cls,rec}.{input,output}.f32 (little-endian float32) and
graphs.json with the shapes and the onnxruntime version.

Usage: dump_ppocr_graphs.py REPO_ROOT MODEL_FOLDER   (MODEL_FOLDER: `loom models pull pp-ocrv4`'s folder)
"""
import json
import os
import sys

import numpy as np
import onnxruntime as ort

root, models = sys.argv[1], sys.argv[2]
out_dir = os.path.join(root, "Tests/Fixtures/ocr-graphs")
os.makedirs(out_dir, exist_ok=True)
rng = np.random.default_rng(20261203)


def image_like(n, h, w):
    """White paper (1.0 after normalization) with dark glyph-like marks in two lines of print, a soft
    shading and a little noise."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    ink = np.zeros((h, w), np.float32)
    for top in (h // 5, h // 2 + 2):
        line = (y >= top) & (y < top + max(h // 5, 6))
        strokes = (np.floor(x / 3) % 3 != 0) & (np.floor(x / 17) % 4 != 3)  # letters, gaps between words
        ink = np.maximum(ink, (line & strokes).astype(np.float32))
    planes = [1.0 - 1.8 * ink - 0.1 * np.sin(x / w * 3.0 + c) * np.cos(y / h * 2.0) for c in range(3)]
    base = np.stack(planes)[None].repeat(n, axis=0)
    noise = rng.normal(0, 0.05, size=base.shape)
    return np.clip(base + noise, -1, 1).astype(np.float32)


cases = {"det": image_like(1, 64, 96), "cls": image_like(2, 48, 192), "rec": image_like(2, 48, 96)}
options = ort.SessionOptions()
options.intra_op_num_threads = 1
meta = {"onnxruntime": ort.__version__, "graphs": {}}
for name, x in cases.items():
    session = ort.InferenceSession(os.path.join(models, f"{name}.onnx"), options, providers=["CPUExecutionProvider"])
    (y,) = session.run(None, {session.get_inputs()[0].name: x})
    x.tofile(os.path.join(out_dir, f"{name}.input.f32"))
    y.astype(np.float32).tofile(os.path.join(out_dir, f"{name}.output.f32"))
    meta["graphs"][name] = {"input": list(x.shape), "output": list(y.shape),
                            "output_min": float(y.min()), "output_max": float(y.max())}
    print(name, x.shape, "->", y.shape, "range", float(y.min()), float(y.max()))
with open(os.path.join(out_dir, "graphs.json"), "w") as f:
    json.dump(meta, f, indent=1)
