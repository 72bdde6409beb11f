#!/usr/bin/env python3
"""Dump reference outputs of tiny seeded CLIP and SigLIP dual encoders for LoomModels' tests.

Reference: Hugging Face transformers 5.24 (the venv at .venv-ref):
  transformers/models/clip/modeling_clip.py      (CLIPModel, CLIPVisionModel, CLIPTextModel)
  transformers/models/siglip/modeling_siglip.py  (SiglipModel, SiglipMultiheadAttentionPoolingHead)
No pretrained weights exist on our machines (shared/MODELS.md), so each model is the real architecture
at reduced size with seeded random weights. Every parameter gets extra Gaussian noise after the HF
initialisation so biases and LayerNorm affines are non-trivial (zero biases would hide loading bugs).

Writes, per family (clip, siglip), into Tests/Fixtures/<family>/:
  tiny-random/{config.json, model.safetensors, preprocessor_config.json}   (the Hugging Face folder)
  pixel_values_<image>.f32            processor output (3, H, W) of the PIL-backend image processor
  vision_last_hidden_state_<image>.f32  (tokens, hidden) before pooling (SigLIP: after post_layernorm)
  vision_pooled_<image>.f32           CLIP: post_layernorm(CLS); SigLIP: the MAP head output
  image_embeds_<image>.f32            normalized (CLIP: after visual_projection)
  text_pooled_<i>.f32, text_embeds_<i>.f32  per id list (pooled before projection/head; normalized)
  logits_per_image.f32                (images, texts)
  reference.json                      ids, image names, shapes, logit_scale/bias, eos variants

Usage (from the repository root):  .venv-ref/bin/python Scripts/reference/dump_clip_siglip.py
"""
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from transformers import CLIPConfig, CLIPModel, SiglipConfig, SiglipModel
from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil
from transformers.models.siglip.image_processing_pil_siglip import SiglipImageProcessorPil

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ["chelsea.jpg", "astronaut.png"]
# Token ids: no tokenizer fits a 100-word vocabulary, so these lists are written by hand in the layout
# the real tokenizers produce. CLIP: BOS 98 ... EOS 99, then padding (0) after EOS in the second list,
# so "first EOS position" and "last position" differ; the third is max_position_embeddings long; the
# fourth has no EOS, so the current rule pools position 0 and the eos_token_id == 2 rule (argmax) position 1.
CLIP_IDS = [[98, 5, 17, 42, 99], [98, 7, 99, 0, 0, 0], [98] + list(range(3, 17)) + [99], [5, 40, 12, 7, 3]]
# SigLIP: no BOS, EOS 1 at the end, padded to a fixed length with pad id 1 as the real tokenizer does.
SIGLIP_IDS = [[12, 55, 7, 1], [33, 1, 1, 1, 1, 1, 1, 1], [4, 8, 15, 16, 23, 42, 60, 70, 80, 90, 1]]


def perturb(model: torch.nn.Module, scale: float) -> None:
    with torch.no_grad():
        for _, p in model.named_parameters():
            p.add_(torch.randn_like(p) * scale)


def save(path: Path, array) -> None:
    np.ascontiguousarray(np.asarray(array, dtype=np.float32)).tofile(path)


def load_image(name: str) -> Image.Image:
    return Image.open(ROOT / "Samples/images" / name).convert("RGB")


def dump_clip() -> None:
    out = ROOT / "Tests/Fixtures/clip"
    folder = out / "tiny-random"
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    config = CLIPConfig(
        text_config=dict(
            vocab_size=100, hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=2,
            max_position_embeddings=16, hidden_act="gelu", pad_token_id=0, bos_token_id=98, eos_token_id=99),
        vision_config=dict(
            hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=2,
            image_size=32, patch_size=8, hidden_act="quick_gelu"),
        projection_dim=24)
    model = CLIPModel(config).eval()
    perturb(model, 0.1)
    model.save_pretrained(folder)
    processor_config = {
        "image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 32},
        "crop_size": {"height": 32, "width": 32}, "do_center_crop": True, "resample": 3,
        "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
    }
    (folder / "preprocessor_config.json").write_text(json.dumps(processor_config, indent=2) + "\n")
    processor = CLIPImageProcessorPil(**{k: v for k, v in processor_config.items() if k != "image_processor_type"})

    image_embeds, meta = [], {"images": IMAGES, "ids": CLIP_IDS}
    with torch.no_grad():
        for name in IMAGES:
            stem = Path(name).stem
            pixels = processor(images=load_image(name), return_tensors="pt")["pixel_values"]
            vision = model.vision_model(pixel_values=pixels)
            embeds = model.get_image_features(pixel_values=pixels).pooler_output
            embeds = embeds / embeds.norm(dim=-1, keepdim=True)
            save(out / f"pixel_values_{stem}.f32", pixels[0])
            save(out / f"vision_last_hidden_state_{stem}.f32", vision.last_hidden_state[0])
            save(out / f"vision_pooled_{stem}.f32", vision.pooler_output[0])
            save(out / f"image_embeds_{stem}.f32", embeds[0])
            image_embeds.append(embeds[0])
            meta[f"pixel_shape_{stem}"] = list(pixels.shape[1:])
            meta[f"vision_shape_{stem}"] = list(vision.last_hidden_state.shape[1:])
        text_embeds = []
        for i, ids in enumerate(CLIP_IDS):
            input_ids = torch.tensor([ids])
            text = model.text_model(input_ids=input_ids)
            embeds = model.text_projection(text.pooler_output)
            embeds = embeds / embeds.norm(dim=-1, keepdim=True)
            save(out / f"text_pooled_{i}.f32", text.pooler_output[0])
            save(out / f"text_embeds_{i}.f32", embeds[0])
            text_embeds.append(embeds[0])
            # The pre-#24773 configs (eos_token_id == 2) pool at the argmax of the ids instead.
            model.text_model.eos_token_id = 2
            legacy = model.text_model(input_ids=input_ids).pooler_output
            model.text_model.eos_token_id = 99
            save(out / f"text_pooled_eos2_{i}.f32", legacy[0])
        full = model(input_ids=torch.tensor([CLIP_IDS[0]]),
                     pixel_values=torch.stack([torch.from_numpy(np.fromfile(out / f"pixel_values_{Path(n).stem}.f32",
                                                                            dtype=np.float32).reshape(3, 32, 32))
                                               for n in IMAGES]))
        logits = torch.stack(image_embeds) @ torch.stack(text_embeds).T * model.logit_scale.exp()
        # Cross-check our per-list logits against CLIPModel.forward on the first text.
        assert torch.allclose(full.logits_per_image[:, 0], logits[:, 0], atol=1e-5)
        save(out / "logits_per_image.f32", logits)
    meta["logit_scale"] = float(model.logit_scale)
    meta["projection_dim"] = config.projection_dim
    (out / "reference.json").write_text(json.dumps(meta, indent=1) + "\n")


def dump_siglip() -> None:
    out = ROOT / "Tests/Fixtures/siglip"
    folder = out / "tiny-random"
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    config = SiglipConfig(
        text_config=dict(
            vocab_size=100, hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=2,
            max_position_embeddings=16, pad_token_id=1, bos_token_id=None, eos_token_id=1),
        vision_config=dict(
            hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=2,
            image_size=32, patch_size=8))
    model = SiglipModel(config).eval()
    perturb(model, 0.1)
    model.save_pretrained(folder)
    processor_config = {
        "image_processor_type": "SiglipImageProcessor", "size": {"height": 32, "width": 32}, "resample": 3,
        "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5], "rescale_factor": 1 / 255,
    }
    (folder / "preprocessor_config.json").write_text(json.dumps(processor_config, indent=2) + "\n")
    processor = SiglipImageProcessorPil(**{k: v for k, v in processor_config.items() if k != "image_processor_type"})

    image_embeds, meta = [], {"images": IMAGES, "ids": SIGLIP_IDS}
    with torch.no_grad():
        for name in IMAGES:
            stem = Path(name).stem
            pixels = processor(images=load_image(name), return_tensors="pt")["pixel_values"]
            vision = model.vision_model(pixel_values=pixels)
            embeds = vision.pooler_output / vision.pooler_output.norm(dim=-1, keepdim=True)
            save(out / f"pixel_values_{stem}.f32", pixels[0])
            save(out / f"vision_last_hidden_state_{stem}.f32", vision.last_hidden_state[0])
            save(out / f"vision_pooled_{stem}.f32", vision.pooler_output[0])
            save(out / f"image_embeds_{stem}.f32", embeds[0])
            image_embeds.append(embeds[0])
            meta[f"pixel_shape_{stem}"] = list(pixels.shape[1:])
            meta[f"vision_shape_{stem}"] = list(vision.last_hidden_state.shape[1:])
        text_embeds = []
        for i, ids in enumerate(SIGLIP_IDS):
            pooled = model.text_model(input_ids=torch.tensor([ids])).pooler_output
            embeds = pooled / pooled.norm(dim=-1, keepdim=True)
            save(out / f"text_pooled_{i}.f32", pooled[0])
            save(out / f"text_embeds_{i}.f32", embeds[0])
            text_embeds.append(embeds[0])
        logits = torch.stack(image_embeds) @ torch.stack(text_embeds).T * model.logit_scale.exp() + model.logit_bias
        pixels = torch.stack([torch.from_numpy(np.fromfile(out / f"pixel_values_{Path(n).stem}.f32",
                                                           dtype=np.float32).reshape(3, 32, 32)) for n in IMAGES])
        full = model(input_ids=torch.tensor([SIGLIP_IDS[0]]), pixel_values=pixels)
        assert torch.allclose(full.logits_per_image[:, 0], logits[:, 0], atol=1e-5)
        save(out / "logits_per_image.f32", logits)
    meta["logit_scale"] = float(model.logit_scale)
    meta["logit_bias"] = float(model.logit_bias)
    (out / "reference.json").write_text(json.dumps(meta, indent=1) + "\n")


if __name__ == "__main__":
    dump_clip()
    dump_siglip()
    print("wrote Tests/Fixtures/clip and Tests/Fixtures/siglip")
