"""Peer side of Benchmarks/vision: full-size vision towers with seeded random weights on torch CPU.

  make OUT_DIR             builds CLIP ViT-B/32 (CLIPModel, transformers' default CLIPConfig) and the
                           SmolVLM-256M vision tower (SiglipVisionModel: hidden 768, 12 layers, 12 heads,
                           intermediate 3072, image 512, patch 16, no head) with torch.manual_seed(0),
                           saves each as a Hugging Face folder (config.json + model.safetensors), and
                           writes 8 seeded random images per model as raw float32 pixel values
                           (8, 3, S, S) to OUT_DIR/NAME/pixels.f32, read by `loom bench vision` too.
  time OUT_DIR NAME BATCH THREADS REPEAT
                           times the image encode of the first BATCH images (one warm-up, REPEAT timed
                           runs) and prints one JSON line: CLIP get_image_features (tower + projection),
                           SigLIP last_hidden_state.
Speed does not depend on the weight values, so random weights time the real architectures.
"""
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from transformers import CLIPConfig, CLIPModel, SiglipVisionConfig, SiglipVisionModel


def smolvlm_vision_config():
    # SmolVLM-256M-Instruct's vision_config (Idefics3 with a SigLIP base patch16-512 tower).
    return SiglipVisionConfig(
        hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
        num_channels=3, image_size=512, patch_size=16, hidden_act="gelu_pytorch_tanh",
        layer_norm_eps=1e-6, vision_use_head=False)


MODELS = {
    "clip-vit-b32": (lambda: CLIPModel(CLIPConfig()), 224),
    "smolvlm-256m-vision": (lambda: SiglipVisionModel(smolvlm_vision_config()), 512),
}


def make(out_dir):
    for name, (build, side) in MODELS.items():
        folder = Path(out_dir) / name
        if (folder / "model.safetensors").exists() and (folder / "pixels.f32").exists():
            continue
        torch.manual_seed(0)
        model = build().eval()
        model.save_pretrained(folder, safe_serialization=True)
        rng = np.random.default_rng(0)
        rng.standard_normal((8, 3, side, side), dtype=np.float32).tofile(folder / "pixels.f32")
        print(f"made {folder}", file=sys.stderr)


def time_model(out_dir, name, batch, threads, repeat):
    torch.set_num_threads(threads)
    folder = Path(out_dir) / name
    side = MODELS[name][1]
    pixels = torch.from_numpy(np.fromfile(folder / "pixels.f32", dtype=np.float32).reshape(8, 3, side, side)[:batch].copy())
    if name.startswith("clip"):
        model = CLIPModel.from_pretrained(folder).eval()
        run = lambda: model.get_image_features(pixel_values=pixels)
    else:
        model = SiglipVisionModel.from_pretrained(folder).eval()
        run = lambda: model(pixel_values=pixels).last_hidden_state
    with torch.inference_mode():
        run()
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            run()
            times.append((time.perf_counter() - start) * 1000)
    print(json.dumps({"peer": "transformers", "model": name, "batch": batch, "threads": threads,
                      "ms_min": min(times), "ms_median": float(np.median(times)), "ms": times,
                      "attn": getattr(model.config, "_attn_implementation", None)}))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        time_model(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
