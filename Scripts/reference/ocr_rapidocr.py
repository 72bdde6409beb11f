"""Reference outputs of RapidOCR (rapidocr-onnxruntime 1.4.4, PP-OCRv4) for Loom's OCR tests.

Reference: rapidocr_onnxruntime 1.4.4 in .venv-ref (Scripts/reference-venv), its default config.yaml,
onnxruntime 1.32.0 on the CPU, opencv-python-headless 4.11.0.86, pyclipper 1.4.0, shapely 2.2.0.
The three ONNX graphs are the wheel's own (rapidocr_onnxruntime/models/), the files `loom models pull
pp-ocrv4` installs. Tests/Fixtures/ocr/README.md says what every stage does and which defaults apply.

Writes into Tests/Fixtures/ocr/:
  eurotext_strip.png, seafire_tiny.png, eurotext_2x.png
                    inputs cut from the samples for RapidOCR's letterbox, min-side and max-side rules
  end_to_end.json   per input (the text samples, photos without text, eurotext turned 180, the inputs
                    above, and the rendered images of rendered/ under "rendered/NAME"): RapidOCR's result (box corners, text, score in its output order) and
                    elapsed times, plus every intermediate the Swift side can check one by one (the
                    detection input shape, DB boxes and scores, the sorted boxes, the line crops'
                    sizes, classifier label and score, recognition batches and per-step argmax, all
                    texts and scores before the text_score filter); and the `character` list's shape.
  seafire_crop.png  320x160 RGB crop of Samples/images/seafire.jpg (its painted markings): the
                    per-stage input.
  stages.json       per-stage shapes, statistics and the box traces for seafire_crop.png; names the files:
  det_native_prob.f32      the detection graph's output (1,1,160,320) for the crop normalized at its
                           own size (a multiple of 32, so no resize): the graph check at 1e-4, and the
                           input of the DB post-processing trace in stages.json
  det_rapidocr_input_strided.f32, det_rapidocr_prob_strided.f32
                           every INPUT_STRIDE-th / STRIDE-th value of RapidOCR's own detection input
                           (resized to 736 on the short side) and output; the full tensors are too
                           large to store
  line{0,1}_crop.png       the perspective crops of the first two lines (RGB; RapidOCR works in BGR)
  line{0,1}_cls_input.f32  classifier input (3,48,192); outputs in stages.json
  line{0,1}_rec_input.f32  recognition input (3,48,W) as RapidOCR pads it inside its batch
  line{0,1}_rec_output.f32 the recognition graph's output (T,6625): softmax probabilities
  rendered/truth.json  (made by make_ocr_rendered.py, with its images; run that first): this script adds
                    per image RapidOCR's texts and its character error rate against the truth.
All .f32 files are raw little-endian float32, C order, with their shapes in the JSON. The numpy models
of cv2's resize and perspective crop (_cv2_models.py) are checked against RapidOCR's own pixels here.

Usage (from the repository root):  .venv-ref/bin/python Scripts/reference/ocr_rapidocr.py
"""
import copy
import hashlib
import json
import math
import time
from pathlib import Path

import cv2
import numpy as np
import onnxruntime
import pyclipper
import rapidocr_onnxruntime
import shapely
from PIL import Image
from rapidocr_onnxruntime import RapidOCR
from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess
from rapidfuzz.distance import Levenshtein

from _cv2_models import resize_checks, warp_checks

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests/Fixtures/ocr"
SAMPLES = ["page.png", "eurotext.png", "seafire.jpg"]
# Photos without printed text: no lines (coffee, rocket) or a stray one (RapidOCR reads an "O" in the
# cat's face at 0.62, above text_score).
NO_TEXT = ["coffee.jpg", "rocket.jpg", "chelsea.jpg"]
# Inputs for RapidOCR's size rules, cut from the samples (exact crops, a nearest-neighbour doubling) and
# stored here as PNG: a one-line strip, w/h > 8 (black letterbox bands above and below); a 66x20
# crop, min side < 30 (scaled up first; RapidOCR then finds nothing); eurotext doubled to 2048x1600,
# max side > 2000 (scaled down to 1984x1568: 2000 / 32 = 62.5 rounds half to even, to 62).
EDGE_CASES = {
    "eurotext_strip.png": ("eurotext.png", lambda im: im.crop((0, 58, 1024, 110))),
    "seafire_tiny.png": ("seafire.jpg", lambda im: im.crop((60, 280, 126, 300))),
    "eurotext_2x.png": ("eurotext.png", lambda im: im.resize((2048, 1600), Image.Resampling.NEAREST)),
}
# A sample turned by 180 degrees after decoding (exact: the pixels reversed on both axes), passed to
# RapidOCR as a BGR array, as a Swift test can make it.
TURNED = ["eurotext.png"]
# Rendered images with known text (fonts, sizes, colours, photos, tilted, turned 180, no text), made
# by make_ocr_rendered.py; their truth is rendered/truth.json.
RENDERED = OUT / "rendered"
# (left, top, right, bottom): both sides multiples of 32. The painted markings on the fuselage: short
# lines, so the recognition input is the minimum 320 wide and its output (40, 6625) stays small.
CROP = ("seafire.jpg", (20, 240, 340, 400))
STRIDE = 16  # the detection output, sampled
INPUT_STRIDE = 128  # the detection input (a resize and a normalization), sampled


def save(name: str, array: np.ndarray) -> dict:
    array = np.ascontiguousarray(array, dtype=np.float32)
    array.tofile(OUT / name)
    return {"file": name, "shape": list(array.shape), **stats(array)}


def stats(a: np.ndarray) -> dict:
    a64 = np.asarray(a, dtype=np.float64)
    return {"sum": float(a64.sum()), "abs_sum": float(np.abs(a64).sum()), "min": float(a64.min()),
            "max": float(a64.max())}


def points(box) -> list:
    return np.asarray(box, dtype=np.float64).reshape(-1, 2).tolist()


def save_bgr_png(name: str, bgr: np.ndarray) -> None:
    Image.fromarray(cv2.cvtColor(np.ascontiguousarray(bgr), cv2.COLOR_BGR2RGB)).save(OUT / name)


def rec_batches(crops: list, batch: int, height: int, width: int) -> list:
    """The batches TextRecognizer.__call__ forms: crops sorted by aspect ratio (np.argsort), `batch` at
    a time, each padded to the widest ratio in it (never below width / height)."""
    ratios = [c.shape[1] / float(c.shape[0]) for c in crops]
    order = np.argsort(np.array(ratios))
    out = []
    for start in range(0, len(crops), batch):
        members = [int(i) for i in order[start:start + batch]]
        max_ratio = max([width / height] + [ratios[i] for i in members])
        out.append({"lines": members, "max_wh_ratio": max_ratio, "input_width": int(height * max_ratio)})
    return out


def rec_steps(engine: RapidOCR, crops: list, texts: list) -> list:
    """Per line, the recognizer's per-step argmax class and its probability, from the same batches
    TextRecognizer forms: the input of CTC greedy decoding, so a decoder test needs no network.
    Checks that they decode to the texts TextRecognizer gave."""
    rec = engine.text_rec
    steps = [None] * len(crops)
    for batch in rec_batches(crops, rec.rec_batch_num, rec.rec_image_shape[1], rec.rec_image_shape[2]):
        inputs = np.stack([rec.resize_norm_img(crops[i], batch["max_wh_ratio"]) for i in batch["lines"]])
        output = rec.session(inputs.astype(np.float32))[0]
        for row, i in enumerate(batch["lines"]):
            steps[i] = {"argmax": output[row].argmax(1).tolist(), "max": output[row].max(1).tolist()}
            assert rec.postprocess_op(output[row][None])[0][0] == texts[i], "per-step record decodes differently"
    return steps


def run_stages(engine: RapidOCR, source) -> dict:
    """RapidOCR.__call__ (main.py) one stage at a time, through the engine's own objects. source: a
    path (decoded by RapidOCR's LoadImage) or a BGR uint8 array (used as it is)."""
    img = engine.load_img(source)
    raw_h, raw_w = img.shape[:2]
    img, ratio_h, ratio_w = engine.preprocess(img)
    op_record = {"preprocess": {"ratio_h": ratio_h, "ratio_w": ratio_w}}
    img, op_record = engine.maybe_add_letterbox(img, op_record)
    det = engine.text_det
    tensor = det.get_preprocess(max(img.shape[0], img.shape[1]))(img)
    prob = det.infer(tensor)[0]
    db_boxes, db_scores = det.postprocess_op(prob, img.shape[:2])
    kept = det.filter_tag_det_res(copy.deepcopy(db_boxes), img.shape[:2])
    ordered = engine.sorted_boxes(kept) if len(kept) else []
    crops = engine.get_crop_img_list(img, ordered)
    turned, cls_res, _ = engine.text_cls(crops)
    rec_res, _ = engine.text_rec(turned)
    origin = engine._get_origin_points(ordered, op_record, raw_h, raw_w) if len(ordered) else []
    final, _ = engine.get_final_res(list(origin), cls_res, rec_res, 0.0, 0.0, 0.0) if len(ordered) else (None, None)
    rec = engine.text_rec
    return {
        "image": img, "tensor": tensor, "prob": prob, "crops": crops, "turned": turned, "final": final,
        "summary": {
            "raw_size": [raw_w, raw_h],
            "preprocess": op_record["preprocess"], "letterbox_top": op_record["padding_1"]["top"],
            "det_image_size": [img.shape[1], img.shape[0]],
            "det_input_shape": list(tensor.shape), "det_input_stats": stats(tensor),
            "det_prob_shape": list(prob.shape), "det_prob_stats": stats(prob),
            "db_boxes": [points(b) for b in db_boxes], "db_scores": [float(s) for s in db_scores],
            "filtered_boxes": [points(b) for b in kept],
            "sorted_boxes": [points(b) for b in ordered],
            "crop_sizes": [[c.shape[1], c.shape[0]] for c in crops],
            # Values where _cv2_models.warp_cubic differs from RapidOCR's crops (0: the model is exact).
            "crop_model_differing_values": sum(warp_checks(img, box, crop)["model_differing_values"]
                                               for box, crop in zip(ordered, crops)),
            "cls": [{"label": label, "score": float(score), "rotated": bool(label == "180" and score > engine.text_cls.cls_thresh)}
                    for label, score in cls_res],
            "rec_batches": rec_batches(turned, rec.rec_batch_num, rec.rec_image_shape[1], rec.rec_image_shape[2]),
            "rec": [{"text": text, "score": float(score)} for text, score in rec_res],
            "rec_steps": rec_steps(engine, turned, [text for text, _ in rec_res]),
            "origin_boxes": [points(b) for b in origin],
        },
    }


def end_to_end(engine: RapidOCR) -> dict:
    inputs = {name: str(ROOT / "Samples/images" / name) for name in SAMPLES + NO_TEXT}
    for name, (source, make) in EDGE_CASES.items():
        make(Image.open(ROOT / "Samples/images" / source)).save(OUT / name, optimize=True)
        inputs[name] = str(OUT / name)
    for name in TURNED:
        bgr = engine.load_img(inputs[name])
        inputs[f"{name} turned 180"] = np.ascontiguousarray(bgr[::-1, ::-1])
    for name in rendered_truth()["images"]:
        inputs[f"rendered/{name}"] = str(RENDERED / name)
    images = {}
    for name, source in inputs.items():
        engine(source)  # warm-up: the first call pays for onnxruntime's allocations
        start = time.perf_counter()
        result, elapse = engine(source)
        wall = time.perf_counter() - start
        staged = run_stages(engine, source)
        lines = [{"box": points(box), "text": text, "score": float(score)} for box, text, score in (result or [])]
        staged_lines = [{"box": points(box), "text": text, "score": float(score)} for box, text, score in (staged["final"] or [])]
        assert staged_lines == lines, f"{name}: the staged run differs from RapidOCR.__call__"
        images[name] = {
            "lines": lines,
            "elapsed_s": {"det": elapse[0], "cls": elapse[1], "rec": elapse[2], "wall": wall} if elapse else None,
            "stages": staged["summary"],
        }
        print(f"{name}: {len(lines)} lines, {wall:.2f} s")
        for line in lines:
            print(f"   {line['score']:.3f} {line['text']}")
    return images


def rendered_truth() -> dict:
    return json.loads((RENDERED / "truth.json").read_text())


def character_error_rate(read: list, truth: list) -> float:
    """Edit distance between the read and the true lines, each joined by newlines, over the truth's
    length: the definition of PPOCRTests.characterErrorRate."""
    return Levenshtein.distance("\n".join(read), "\n".join(truth)) / len("\n".join(truth))


def score_rendered(engine: RapidOCR, images: dict) -> None:
    """Adds RapidOCR's texts and character error rates to rendered/truth.json. The lines are read in
    RapidOCR's output order (top to bottom, then left to right), reversed for a page turned by 180
    degrees (RapidOCR turns each crop but keeps the boxes' order). `cer_without_whitespace` drops all
    whitespace from both sides first: the recognition alone, without RapidOCR's dropped spaces and
    split lines."""
    dictionary = set(engine.text_rec.postprocess_op.character)
    document = rendered_truth()
    for name, entry in document["images"].items():
        missing = {c for line in entry["lines"] for c in line} - dictionary
        assert not missing, f"rendered/{name}: {sorted(missing)} not in PP-OCRv4's dictionary"
        read = [line["text"] for line in images[f"rendered/{name}"]["lines"]]
        if entry["turned_180"]:
            read = read[::-1]
        squeeze = lambda lines: ["".join("".join(lines).split())]
        entry["rapidocr"] = {
            "lines_read": read,
            "cer": character_error_rate(read, entry["lines"]) if entry["lines"] else None,
            "cer_without_whitespace": character_error_rate(squeeze(read), squeeze(entry["lines"])) if entry["lines"] else None,
        }
        print(f"rendered/{name}: {len(read)} lines, CER {entry['rapidocr']['cer']}")
    document["rapidocr"] = ("rapidocr-onnxruntime 1.4.4 (Scripts/reference/ocr_rapidocr.py): lines_read in "
                            "reading order (output order, reversed when turned_180); cer as "
                            "PPOCRTests.characterErrorRate (null when the truth is empty)")
    (RENDERED / "truth.json").write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")


def character_list(engine: RapidOCR) -> dict:
    """How TextRecognizer builds CTCLabelDecode.character from the rec model's `character` metadata."""
    session = engine.text_rec.session
    raw = session.session.get_modelmeta().custom_metadata_map["character"]
    chars = engine.text_rec.postprocess_op.character
    entries = raw.splitlines()
    assert chars == ["blank"] + entries + [" "]
    return {
        "metadata_key": "character", "metadata_chars": len(raw), "metadata_utf8_bytes": len(raw.encode("utf-8")),
        "metadata_ends_with_newline": raw.endswith("\n"),
        "entries_splitlines": len(entries), "entries_split_newline": len(raw.split("\n")),
        "classes": len(chars), "first_entries": entries[:10], "last_entries": entries[-10:],
        "index_of": {c: chars.index(c) for c in ["blank", " ", "a", "A", "0", "'", "."]},
        "sha256_of_entries_joined_by_newline": hashlib.sha256("\n".join(entries).encode("utf-8")).hexdigest(),
    }


def db_trace(engine: RapidOCR, prob: np.ndarray, dest: tuple) -> list:
    """DBPostProcess.boxes_from_bitmap step by step for one map: what each candidate became."""
    post = engine.text_det.postprocess_op
    mask = cv2.dilate((prob[0, 0] > post.thresh).astype(np.uint8), post.dilation_kernel)
    contours, _ = cv2.findContours((mask * 255).astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    height, width = mask.shape
    trace = []
    for contour in contours[:post.max_candidates]:
        step = {"contour_points": int(len(contour))}
        box, sside = post.get_mini_boxes(contour)
        step.update(mini_box=points(box), mini_short_side=float(sside))
        if sside < post.min_size:
            trace.append({**step, "dropped": "short side < min_size"})
            continue
        score = post.box_score_fast(prob[0, 0], box.reshape(-1, 2))
        step["score"] = float(score)
        if post.box_thresh > score:
            trace.append({**step, "dropped": "score < box_thresh"})
            continue
        expanded = post.unclip(box)
        step["unclip_polygon"] = points(expanded)
        box, sside = post.get_mini_boxes(expanded)
        step.update(unclipped_box=points(box), unclipped_short_side=float(sside))
        if sside < post.min_size + 2:
            trace.append({**step, "dropped": "unclipped short side < min_size + 2"})
            continue
        box[:, 0] = np.clip(np.round(box[:, 0] / width * dest[1]), 0, dest[1])
        box[:, 1] = np.clip(np.round(box[:, 1] / height * dest[0]), 0, dest[0])
        trace.append({**step, "box": points(box.astype(np.int32))})
    kept = [t["box"] for t in trace if "box" in t]
    boxes, _ = post(prob, dest)
    assert kept == [points(b) for b in boxes], "the DB trace differs from DBPostProcess"
    return trace


def stages(engine: RapidOCR) -> dict:
    name, area = CROP
    crop = Image.open(ROOT / "Samples/images" / name).crop(area)
    crop.save(OUT / "seafire_crop.png")
    staged = run_stages(engine, str(OUT / "seafire_crop.png"))
    out = {"input": "seafire_crop.png", "source": f"Samples/images/{name} cropped to {list(area)}",
           "summary": staged["summary"], "prob_stride": STRIDE, "input_stride": INPUT_STRIDE}

    # Detection as RapidOCR runs it (resize to 736 on the short side), sampled.
    tensor, prob = staged["tensor"], staged["prob"]
    out["det_rapidocr"] = {
        "input_shape": list(tensor.shape), "input_stats": stats(tensor), "prob_shape": list(prob.shape),
        "prob_stats": stats(prob),
        "input_strided": save("det_rapidocr_input_strided.f32", tensor.reshape(-1)[::INPUT_STRIDE]),
        "prob_strided": save("det_rapidocr_prob_strided.f32", prob.reshape(-1)[::STRIDE]),
        # The detection resize, an exact halving, a shrink and a few odd sizes: is the model exact?
        "cv2_resize_checks": resize_checks(staged["image"], [(tensor.shape[3], tensor.shape[2]), (160, 80),
                                                                  (777, 333), (100, 61), (33, 17)]),
    }

    # The graph on the crop at its own size: no resize, so the input is exactly (bgr / 255 - 0.5) / 0.5.
    pre = DetPreProcess()  # only its normalize and permute: the default mean and std, 0.5
    native = pre.permute(pre.normalize(staged["image"]))[None].astype(np.float32)
    native_prob = engine.text_det.infer(native)[0]
    out["det_native"] = {
        "input_shape": list(native.shape), "input_stats": stats(native),
        "prob": save("det_native_prob.f32", native_prob),
        "db_trace": db_trace(engine, native_prob, native.shape[2:]),
    }

    # The first two lines: crop, classifier, recognition input inside its batch, recognition output.
    cls, rec = engine.text_cls, engine.text_rec
    batches = staged["summary"]["rec_batches"]
    lines = []
    def batch_of(i):
        return next(b for b in batches if i in b["lines"])
    for i in range(2):
        save_bgr_png(f"line{i}_crop.png", staged["crops"][i])
        cls_input = cls.resize_norm_img(staged["crops"][i])
        cls_output = cls.infer(cls_input[None].astype(np.float32))[0][0]
        batch = batch_of(i)
        members = [rec.resize_norm_img(staged["turned"][j], batch["max_wh_ratio"]) for j in batch["lines"]]
        batch_output = rec.session(np.stack(members).astype(np.float32))[0]
        row = batch["lines"].index(i)
        alone = rec.session(members[row][None].astype(np.float32))[0][0]
        lines.append({
            "crop": f"line{i}_crop.png", "crop_size": [staged["crops"][i].shape[1], staged["crops"][i].shape[0]],
            "crop_box": staged["summary"]["sorted_boxes"][i],
            # The classifier's and the recognizer's resizes of this line (heights 48; widths capped at 192
            # and at the batch's input width).
            "cls_rec_resize_checks": resize_checks(staged["crops"][i], [
                (min(cap, math.ceil(48 * staged["crops"][i].shape[1] / staged["crops"][i].shape[0])), 48)
                for cap in (192, int(48 * batch_of(i)["max_wh_ratio"]))]),
            "warp_checks": warp_checks(staged["image"], staged["summary"]["sorted_boxes"][i], staged["crops"][i]),
            "cls_input": save(f"line{i}_cls_input.f32", cls_input), "cls_output": cls_output.tolist(),
            "cls_label": ["0", "180"][int(cls_output.argmax())],
            "rec_batch_lines": batch["lines"], "rec_max_wh_ratio": batch["max_wh_ratio"],
            "rec_input": save(f"line{i}_rec_input.f32", members[row]),
            "rec_output": save(f"line{i}_rec_output.f32", batch_output[row]),
            "rec_output_alone_vs_in_batch_maxdiff": float(np.abs(alone - batch_output[row]).max()),
            "rec_output_row_sum_range": [float(batch_output[row].sum(1).min()), float(batch_output[row].sum(1).max())],
            "text": staged["summary"]["rec"][i]["text"], "score": staged["summary"]["rec"][i]["score"],
        })
    out["lines"] = lines
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    engine = RapidOCR()  # the default config.yaml: what `rapidocr_onnxruntime` users get
    package = Path(rapidocr_onnxruntime.__file__).parent
    reference = {
        "reference": "rapidocr-onnxruntime 1.4.4, default config.yaml",
        "versions": {"onnxruntime": onnxruntime.__version__, "opencv": cv2.__version__, "numpy": np.__version__,
                     "pyclipper": pyclipper.__version__, "shapely": shapely.__version__},
        "models": {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((package / "models").glob("*.onnx"))},
        "character": character_list(engine),
        "images": end_to_end(engine),
    }
    (OUT / "end_to_end.json").write_text(json.dumps(reference, indent=1, ensure_ascii=False) + "\n")
    score_rendered(engine, reference["images"])
    (OUT / "stages.json").write_text(json.dumps(stages(engine), indent=1, ensure_ascii=False) + "\n")
    for f in sorted(OUT.iterdir()):
        print(f"{f.name:34} {f.stat().st_size:>9} bytes")


if __name__ == "__main__":
    main()
