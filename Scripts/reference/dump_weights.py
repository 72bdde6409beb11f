#!/usr/bin/env python3
"""Reference fixtures for LoomWeights (Tests/LoomWeightsTests).

Writes small synthetic weight files plus the float32 values the reference libraries produce for them:
  - tiny.safetensors       F32/F16/BF16 tensors, written by the safetensors package
  - tiny.gguf              every GGUF metadata type and a tensor of each type Loom dequantizes,
                           written by gguf.GGUFWriter; expected values from gguf.quants.dequantize
  - tiny-ct2.bin           a CTranslate2 binary-version-6 model.bin (f32, f16, int8+scale, alias),
                           written following ctranslate2/specs/model_spec.py ModelSpec._serialize
  - expected/*.f32         numpy float32 `.tofile` dumps of the expected tensors
  - manifest.json          names, shapes and types of the synthetic tensors
and, when the real models are installed ($LOOM_HOME/models/...), slices and per-tensor sums:
  - smollm2.json, smollm2-*.f32      (gguf.GGUFReader + gguf.quants.dequantize)
  - whisper-tiny-en.json, whisper-tiny-en-*.f32  (this file's CTranslate2 reader, numpy only)

Run: .venv-ref/bin/python Scripts/reference/dump_weights.py
"""
import json
import os
import struct
import sys
from pathlib import Path

import numpy as np
from _ct2 import read_ct2
import gguf
from gguf.quants import quantize, dequantize
from gguf.constants import GGMLQuantizationType as Q, GGML_QUANT_SIZES
from safetensors.numpy import save_file

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests/Fixtures/weights"
EXPECTED = OUT / "expected"
rng = np.random.default_rng(20261129)
manifest = {"safetensors": [], "gguf": [], "ct2": []}


def dump(name: str, values: np.ndarray) -> str:
    path = EXPECTED / f"{name}.f32"
    np.ascontiguousarray(values, dtype=np.float32).tofile(path)
    return f"weights/expected/{name}.f32"


def write_safetensors():
    f32 = rng.standard_normal((3, 4)).astype(np.float32)
    f16 = rng.standard_normal((2, 5)).astype(np.float16)
    bf16_bits = (rng.standard_normal(7).astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)
    tensors = {"layer.f32": f32, "layer.f16": f16, "bf16": bf16_bits.view(np.uint16)}
    save_file(tensors, str(OUT / "tiny.safetensors"), metadata={"format": "pt", "note": "loom"})
    # safetensors.numpy has no bfloat16 dtype: write it as F16 bytes, then relabel the header entry.
    data = bytearray((OUT / "tiny.safetensors").read_bytes())
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    header["bf16"]["dtype"] = "BF16"
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (n - len(text))
    assert len(text) == n
    data[8:8 + n] = text
    (OUT / "tiny.safetensors").write_bytes(bytes(data))
    bf16_values = (bf16_bits.astype(np.uint32) << 16).view(np.float32)
    for name, shape, dtype, values in [("layer.f32", [3, 4], "F32", f32), ("layer.f16", [2, 5], "F16", f16),
                                       ("bf16", [7], "BF16", bf16_values)]:
        manifest["safetensors"].append({"name": name, "shape": shape, "dtype": dtype,
                                        "expected": dump("st-" + name, values.astype(np.float32))})


def random_kquant_blocks(qtype: Q, n_blocks: int) -> np.ndarray:
    """Random K-quant blocks whose f16 scales are small normal numbers (gguf cannot quantize K types)."""
    _, type_size = GGML_QUANT_SIZES[qtype]
    blocks = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    scales = rng.uniform(0.001, 0.05, size=(n_blocks, 2)).astype(np.float16).view(np.uint8)
    if qtype == Q.Q6_K:
        blocks[:, -2:] = scales[:, :2]  # d is the last field
    else:
        blocks[:, 0:4] = scales  # d, dmin lead the block
    return blocks


def write_gguf():
    path = OUT / "tiny.gguf"
    w = gguf.GGUFWriter(str(path), arch="loomtest")
    V = gguf.GGUFValueType
    w.add_key_value("test.uint8", 200, V.UINT8)
    w.add_key_value("test.int8", -100, V.INT8)
    w.add_key_value("test.uint16", 60000, V.UINT16)
    w.add_key_value("test.int16", -30000, V.INT16)
    w.add_key_value("test.uint32", 4000000000, V.UINT32)
    w.add_key_value("test.int32", -2000000000, V.INT32)
    w.add_key_value("test.float32", 0.15625, V.FLOAT32)
    w.add_key_value("test.bool", True, V.BOOL)
    w.add_key_value("test.string", "héllo wörld", V.STRING)
    w.add_key_value("test.uint64", 2**63 + 5, V.UINT64)
    w.add_key_value("test.int64", -(2**62), V.INT64)
    w.add_key_value("test.float64", -1.0e300, V.FLOAT64)
    w.add_array("test.array.int32", [1, -2, 3])
    w.add_array("test.array.strings", ["a", "bc", ""])
    w.add_array("test.array.nested", [[1, 2], [3]])
    w.add_key_value("test.array.float32", [0.5, -1.5], V.ARRAY, sub_type=V.FLOAT32)
    w.add_key_value("test.array.bool", [True, False], V.ARRAY, sub_type=V.BOOL)

    rows, cols = 3, 512
    x = rng.standard_normal((rows, cols)).astype(np.float32)
    for qtype in [Q.F32, Q.F16, Q.BF16, Q.Q8_0, Q.Q4_0, Q.Q4_1, Q.Q4_K, Q.Q5_K, Q.Q6_K]:
        name = f"t.{qtype.name.lower()}"
        if qtype == Q.F32:
            w.add_tensor(name, x)
            raw = x
        elif qtype in (Q.Q4_K, Q.Q5_K, Q.Q6_K):
            raw = random_kquant_blocks(qtype, rows * cols // 256).reshape(rows, -1)
            w.add_tensor(name, raw, raw_dtype=qtype)
        else:
            raw = quantize(x, qtype)
            w.add_tensor(name, raw, raw_dtype=qtype)
        expected = x if qtype == Q.F32 else dequantize(raw, qtype)
        assert expected.shape == (rows, cols)
        manifest["gguf"].append({"name": name, "shape": [rows, cols], "type": qtype.name,
                                 "expected": dump("gguf-" + name, expected)})
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def ct2_string(s: str) -> bytes:
    b = s.encode()
    return struct.pack("<H", len(b) + 1) + b + b"\0"


def write_ct2():
    """A CTranslate2 v6 model.bin following ModelSpec._serialize (model_spec.py), dtype ids from
    _dtype_to_type_id: float32 0, int8 1, int16 2, int32 3, float16 4, bfloat16 5."""
    w = rng.standard_normal((3, 4)).astype(np.float32)
    h = rng.standard_normal((2, 3)).astype(np.float16)
    dense = rng.standard_normal((4, 8)).astype(np.float32)
    # int8 quantization as ModelSpec._quantize does it: scale = 127 / amax per row.
    amax = np.amax(np.abs(dense), axis=1)
    scale = (127.0 / amax).astype(np.float32)
    q = np.rint(dense * scale[:, None]).astype(np.int8)
    ids = rng.integers(-5, 5, size=(5,)).astype(np.int32)
    variables = [("encoder/w", w, 0), ("encoder/h", h, 4), ("decoder/dense/weight", q, 1),
                 ("decoder/dense/weight_scale", scale, 0), ("decoder/ids", ids, 3)]
    out = struct.pack("<I", 6) + ct2_string("TestSpec") + struct.pack("<I", 3) + struct.pack("<I", len(variables))
    for name, value, type_id in variables:
        out += ct2_string(name) + struct.pack("<B", value.ndim)
        out += b"".join(struct.pack("<I", d) for d in value.shape)
        out += struct.pack("<B", type_id) + struct.pack("<I", value.nbytes) + value.tobytes()
    aliases = [("decoder/projection/weight", "encoder/w")]
    out += struct.pack("<I", len(aliases)) + b"".join(ct2_string(a) + ct2_string(t) for a, t in aliases)
    (OUT / "tiny-ct2.bin").write_bytes(out)
    # CTranslate2's dequantize_kernel: x * (1 / scale).
    dequantized = q.astype(np.float32) * (np.float32(1) / scale)[:, None]
    for name, values in [("encoder/w", w), ("encoder/h", h), ("decoder/dense/weight", dequantized),
                         ("decoder/dense/weight_scale", scale), ("decoder/ids", ids)]:
        manifest["ct2"].append({"name": name, "shape": list(values.shape),
                                "expected": dump("ct2-" + name.replace("/", "."), values.astype(np.float32))})


def models_home() -> Path:
    return Path(os.environ.get("LOOM_HOME", Path.home() / ".cache/loom")) / "models"


def dump_whisper():
    path = models_home() / "whisper-tiny.en/model.bin"
    if not path.exists():
        print("skip whisper-tiny.en: not installed at", path)
        return
    model = read_ct2(path)
    name = "encoder/layer_0/self_attention/linear_0/weight"
    tensor = model["variables"][name]
    summary = {"spec": model["spec"], "revision": model["revision"], "aliases": model["aliases"],
               "slice": {"name": name, "rows": 2, "expected": "weights/whisper-tiny-en-slice.f32"},
               "variables": [{"name": k, "shape": list(v.shape), "dtype": str(v.dtype),
                              "sum": float(v.astype(np.float64).sum())} for k, v in model["variables"].items()]}
    tensor[:2].astype(np.float32).tofile(OUT / "whisper-tiny-en-slice.f32")
    (OUT / "whisper-tiny-en.json").write_text(json.dumps(summary, indent=0))


def dump_smollm2():
    path = models_home() / "smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.exists():
        print("skip smollm2: not installed at", path)
        return
    reader = gguf.GGUFReader(str(path))
    tensors, slices = [], []
    for t in reader.tensors:
        values = dequantize(t.data, t.tensor_type)
        tensors.append({"name": t.name, "shape": [int(d) for d in reversed(t.shape)], "type": t.tensor_type.name,
                        "sum": float(values.astype(np.float64).sum()),
                        "abs_sum": float(np.abs(values.astype(np.float64)).sum())})
        if t.name in ("token_embd.weight", "blk.0.attn_q.weight"):
            file = f"smollm2-{t.name}.f32"
            values.reshape(-1, values.shape[-1])[:2].astype(np.float32).tofile(OUT / file)
            slices.append({"name": t.name, "type": t.tensor_type.name, "rows": 2, "expected": "weights/" + file})
    (OUT / "smollm2.json").write_text(json.dumps({"tensors": tensors, "slices": slices}, indent=0))


if __name__ == "__main__":
    EXPECTED.mkdir(parents=True, exist_ok=True)
    write_safetensors()
    write_gguf()
    write_ct2()
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1))
    dump_whisper()
    dump_smollm2()
    print("wrote", OUT, file=sys.stderr)
