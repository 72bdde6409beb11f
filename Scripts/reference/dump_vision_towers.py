#!/usr/bin/env python3
"""Dump reference image embeddings of tiny seeded vision-only towers, as image-encoder folders ship them.

Reference: Hugging Face transformers (the venv at .venv-ref):
  transformers/models/clip/modeling_clip.py      CLIPVisionModelWithProjection (model_type clip_vision_model)
  transformers/models/siglip/modeling_siglip.py  SiglipVisionModel (model_type siglip_vision_model, MAP head)
Seeded random weights at sizes no other fixture uses (hidden 40 / 36, 3 / 2 layers, 48 / 40 px images,
12 / 10 px patches, projection 20), with extra Gaussian noise on every parameter so biases and
LayerNorm affines are non-trivial.

Writes Tests/Fixtures/vision-towers/<clip|siglip>/:
  model/{config.json, model.safetensors, preprocessor_config.json}   the folder `loom embed --model` reads
  image_embeds_<image>.f32   normalized embedding (CLIP: image_embeds; SigLIP: pooler_output) of the
                             PIL-backend processor's pixel values for each sample image

Usage (from the repository root):  .venv-ref/bin/python Scripts/reference/dump_vision_towers.py
"""
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection, SiglipVisionConfig, SiglipVisionModel
from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil
from transformers.models.siglip.image_processing_pil_siglip import SiglipImageProcessorPil

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ["chelsea.jpg", "astronaut.png"]


def perturb(model: torch.nn.Module, scale: float) -> None:
    with torch.no_grad():
        for _, p in model.named_parameters():
            p.add_(torch.randn_like(p) * scale)


def save(path: Path, array) -> None:
    np.ascontiguousarray(np.asarray(array, dtype=np.float32)).tofile(path)


def normalized(t: torch.Tensor) -> np.ndarray:
    return torch.nn.functional.normalize(t, dim=-1)[0].numpy()


def dump(name, model, processor_config, processor, embed) -> None:
    out = ROOT / "Tests/Fixtures/vision-towers" / name
    folder = out / "model"
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    (folder / "preprocessor_config.json").write_text(json.dumps(processor_config, indent=2) + "\n")
    for image in IMAGES:
        pixels = processor(Image.open(ROOT / "Samples/images" / image).convert("RGB"), return_tensors="pt").pixel_values
        with torch.no_grad():
            save(out / f"image_embeds_{Path(image).stem}.f32", embed(model, pixels))
    print(f"wrote {out}")


def main() -> None:
    torch.manual_seed(7)
    clip = CLIPVisionModelWithProjection(CLIPVisionConfig(
        hidden_size=40, intermediate_size=52, num_hidden_layers=3, num_attention_heads=4,
        image_size=48, patch_size=12, projection_dim=20, hidden_act="gelu")).eval()
    perturb(clip, 0.1)
    clip_processor = {
        "image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 48},
        "crop_size": {"height": 48, "width": 48}, "do_center_crop": True, "resample": 3,
        "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
    }
    dump("clip", clip, clip_processor,
         CLIPImageProcessorPil(**{k: v for k, v in clip_processor.items() if k != "image_processor_type"}),
         lambda m, px: normalized(m(pixel_values=px).image_embeds))

    torch.manual_seed(8)
    siglip = SiglipVisionModel(SiglipVisionConfig(
        hidden_size=36, intermediate_size=44, num_hidden_layers=2, num_attention_heads=3,
        image_size=40, patch_size=10)).eval()
    perturb(siglip, 0.1)
    siglip_processor = {
        "image_processor_type": "SiglipImageProcessor", "size": {"height": 40, "width": 40}, "resample": 3,
        "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5], "rescale_factor": 1 / 255,
    }
    dump("siglip", siglip, siglip_processor,
         SiglipImageProcessorPil(**{k: v for k, v in siglip_processor.items() if k != "image_processor_type"}),
         lambda m, px: normalized(m(pixel_values=px).pooler_output))


if __name__ == "__main__":
    main()
