#!/usr/bin/env python3
"""Reference outputs for LoomTensor's kernels, from torch (CPU, float32, fixed seed).

Writes Tests/Fixtures/kernels/<name>.f32 (little-endian float32, numpy `tofile`) and manifest.json
mapping each name to its shape. Tests/LoomTensorTests compares Loom's kernels against these.

Run from the repository root:  .venv-ref/bin/python Scripts/reference/dump_kernels.py
"""
import json
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

OUT = Path(__file__).resolve().parents[2] / "Tests" / "Fixtures" / "kernels"
manifest = {}


def save(name, tensor):
    array = tensor.detach().to(torch.float32).contiguous().numpy()
    array.astype("<f4").tofile(OUT / f"{name}.f32")
    manifest[name] = list(array.shape)


def randn(*shape, scale=1.0, shift=0.0):
    return torch.randn(*shape, dtype=torch.float32) * scale + shift


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.f32"):
        old.unlink()
    torch.manual_seed(20240611)
    torch.set_num_threads(1)

    # Matmul: odd sizes, transposed B (Linear weights), batched, linear with bias.
    a, b = randn(7, 13), randn(13, 5)
    save("matmul_a", a); save("matmul_b", b); save("matmul_out", a @ b)
    bt = randn(5, 13)
    save("matmul_bt", bt); save("matmul_bt_out", a @ bt.T)
    ba, bb = randn(2, 3, 4), randn(2, 4, 6)
    save("bmm_a", ba); save("bmm_b", bb); save("bmm_out", torch.bmm(ba, bb))
    x, w, bias = randn(2, 3, 13), randn(11, 13), randn(11)
    save("linear_x", x); save("linear_w", w); save("linear_b", bias); save("linear_out", F.linear(x, w, bias))

    # Norms: odd row length, and rows with a large mean (cancellation in the variance).
    x = randn(7, 13)
    w, bias = randn(13), randn(13)
    save("layernorm_x", x); save("layernorm_w", w); save("layernorm_b", bias)
    save("layernorm_out", F.layer_norm(x, (13,), w, bias, eps=1e-5))
    xs = randn(4, 64, scale=3.0, shift=50.0)
    ws, bs = randn(64), randn(64)
    save("layernorm_shift_x", xs); save("layernorm_shift_w", ws); save("layernorm_shift_b", bs)
    save("layernorm_shift_out", F.layer_norm(xs, (64,), ws, bs, eps=1e-5))

    x, w = randn(7, 13, scale=2.0), randn(13)
    manual = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w  # LlamaRMSNorm
    functional = F.rms_norm(x, (13,), w, eps=1e-6)
    assert torch.allclose(manual, functional, atol=1e-6)
    save("rmsnorm_x", x); save("rmsnorm_w", w); save("rmsnorm_out", functional)

    # Softmax: ordinary logits, and large ones that overflow exp without the max subtraction.
    x = randn(7, 13, scale=5.0)
    save("softmax_x", x); save("softmax_out", torch.softmax(x, dim=-1))
    x = randn(3, 17, scale=50.0, shift=200.0)
    save("softmax_large_x", x); save("softmax_large_out", torch.softmax(x, dim=-1))

    # Activations.
    x = randn(7, 13, scale=3.0)
    save("act_x", x)
    save("gelu_out", F.gelu(x, approximate="none"))
    save("gelu_tanh_out", F.gelu(x, approximate="tanh"))
    save("silu_out", F.silu(x))

    # conv1d: Whisper's stem (kernel 3, padding 1, stride 1 then 2), unbatched and batched.
    x, w, bias = randn(3, 11), randn(5, 3, 3), randn(5)
    save("conv1d_x", x); save("conv1d_w", w); save("conv1d_b", bias)
    save("conv1d_s1_out", F.conv1d(x, w, bias, stride=1, padding=1))
    save("conv1d_s2_out", F.conv1d(x, w, bias, stride=2, padding=1))
    xb = randn(2, 3, 10)
    save("conv1d_batch_x", xb); save("conv1d_batch_out", F.conv1d(xb, w, bias, stride=2, padding=1))

    # conv2d: ViT patch embedding (kernel = stride = 4), and a general stride/padding case.
    x, w, bias = randn(3, 8, 12), randn(6, 3, 4, 4), randn(6)
    out = F.conv2d(x, w, bias, stride=4)
    save("patch_x", x); save("patch_w", w); save("patch_b", bias); save("patch_conv_out", out)
    save("patch_embed_out", out.flatten(1).transpose(0, 1))  # (patches, D), as flatten(2).transpose(1, 2)
    x, w, bias = randn(2, 3, 7, 9), randn(4, 3, 3, 2), randn(4)
    save("conv2d_x", x); save("conv2d_w", w); save("conv2d_b", bias)
    save("conv2d_out", F.conv2d(x, w, bias, stride=(2, 1), padding=(1, 2)))

    # Attention: grouped-query (4 heads over 2 kv heads), full and causal, and a KV-cache step
    # whose queries sit at positions offset.. offset+Tq-1 (an explicit mask: is_causal is top-left).
    q, k, v = randn(4, 5, 8), randn(2, 5, 8), randn(2, 5, 6)
    save("attn_q", q); save("attn_k", k); save("attn_v", v)
    save("attn_out", F.scaled_dot_product_attention(q, k, v, enable_gqa=True))
    save("attn_causal_out", F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True))
    manual = torch.softmax(
        (q @ k.repeat_interleave(2, dim=0).transpose(1, 2)) / math.sqrt(8), dim=-1
    ) @ v.repeat_interleave(2, dim=0)
    assert torch.allclose(manual, F.scaled_dot_product_attention(q, k, v, enable_gqa=True), atol=1e-5)
    offset, tq, tk = 4, 3, 7
    q, k, v = randn(4, tq, 8), randn(2, tk, 8), randn(2, tk, 8)
    mask = torch.arange(tk)[None, :] <= (offset + torch.arange(tq))[:, None]
    save("attn_cache_q", q); save("attn_cache_k", k); save("attn_cache_v", v)
    save("attn_cache_out", F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=True, scale=0.3))

    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {len(manifest)} arrays to {OUT} ({total} bytes)")


if __name__ == "__main__":
    main()
