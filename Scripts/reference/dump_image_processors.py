#!/usr/bin/env python3
"""Dump reference image-preprocessing outputs for Loom's LoomFeatures image processors.

Reference: Hugging Face transformers 5.24, PIL backend (CLIPImageProcessorPil, SiglipImageProcessorPil,
Idefics3ImageProcessorPil). That is what `AutoImageProcessor.from_pretrained` returns in an environment
without torchvision (transformers' only hard image dependency is Pillow), and what it always returns
for Idefics3/SmolVLM with torchvision < 0.27 (Lanczos). Resampling is Pillow's (Pillow 13) Resample.c.

Inputs: real photos from the scikit-image 0.26.0 wheel, decoded with Pillow, converted to RGB, cropped
and downsized (Lanczos) to keep fixtures small, stored as raw interleaved RGB bytes (.rgb).

Usage (from the repository root):
    python3 -m pip download --no-deps --dest /tmp/ski scikit-image==0.26.0
    (cd /tmp/ski && unzip -o -q scikit_image-0.26.0-*.whl 'skimage/data/*')
    .venv-ref/bin/python Scripts/reference/dump_image_processors.py /tmp/ski/skimage/data
"""
import json
import sys
from pathlib import Path

import numpy as np
import PIL
from PIL import Image
from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil
from transformers.models.idefics3.image_processing_pil_idefics3 import Idefics3ImageProcessorPil
from transformers.models.siglip.image_processing_pil_siglip import SiglipImageProcessorPil

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests/Fixtures/image-processors"

# The published preprocessor_config.json files (hub snapshots; written here so tests have real configs).
CONFIGS = {
    # openai/clip-vit-base-patch32
    "clip-vit-base-patch32": {
        "crop_size": 224, "do_center_crop": True, "do_normalize": True, "do_resize": True,
        "feature_extractor_type": "CLIPFeatureExtractor",
        "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
        "resample": 3, "size": 224,
    },
    # google/siglip-base-patch16-224
    "siglip-base-patch16-224": {
        "do_normalize": True, "do_rescale": True, "do_resize": True,
        "image_mean": [0.5, 0.5, 0.5], "image_processor_type": "SiglipImageProcessor",
        "image_std": [0.5, 0.5, 0.5], "processor_class": "SiglipProcessor", "resample": 3,
        "rescale_factor": 0.00392156862745098, "size": {"height": 224, "width": 224},
    },
    # HuggingFaceTB/SmolVLM-256M-Instruct
    "smolvlm-256m-instruct": {
        "do_convert_rgb": True, "do_image_splitting": True, "do_normalize": True, "do_pad": True,
        "do_rescale": True, "do_resize": True, "image_mean": [0.5, 0.5, 0.5],
        "image_processor_type": "Idefics3ImageProcessor", "image_std": [0.5, 0.5, 0.5],
        "max_image_size": {"longest_edge": 512}, "processor_class": "Idefics3Processor", "resample": 1,
        "rescale_factor": 0.00392156862745098, "size": {"longest_edge": 2048},
    },
    # Small custom configs: same code paths, fixtures small enough to store whole.
    "clip-small": {
        "image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 40},
        "crop_size": {"height": 32, "width": 36}, "resample": 3,
    },
    "siglip-small": {
        "image_processor_type": "SiglipImageProcessor", "size": {"height": 30, "width": 44}, "resample": 3,
    },
    "idefics3-small": {
        "image_processor_type": "Idefics3ImageProcessor", "size": {"longest_edge": 60},
        "max_image_size": {"longest_edge": 32}, "resample": 1, "do_image_splitting": True,
        "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
    },
    # Less common paths: shortest edge capped by longest edge, no crop; crop larger than the image
    # (zero padding before normalization); no rescale/normalize; Idefics3 without the first resize.
    "clip-capped-nocrop": {
        "image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 40, "longest_edge": 50},
        "do_center_crop": False, "resample": 2,
    },
    "clip-pad-crop": {
        "image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 20},
        "crop_size": {"height": 27, "width": 50}, "resample": 3,
    },
    "siglip-raw-hamming": {
        "image_processor_type": "SiglipImageProcessor", "size": {"height": 17, "width": 23}, "resample": 5,
        "do_rescale": False, "do_normalize": False,
    },
    "idefics3-small-noresize": {
        "image_processor_type": "Idefics3ImageProcessor", "do_resize": False,
        "max_image_size": {"longest_edge": 32}, "resample": 3,
    },
    "idefics3-small-nosplit": {
        "image_processor_type": "Idefics3ImageProcessor", "size": {"longest_edge": 60},
        "max_image_size": {"longest_edge": 32}, "resample": 1, "do_image_splitting": False,
    },
}


def load(data: Path, name: str) -> Image.Image:
    return Image.open(data / name).convert("RGB")


def make_inputs(data: Path) -> dict:
    chelsea, coffee = load(data, "chelsea.png"), load(data, "coffee.png")
    astronaut, rocket = load(data, "astronaut.png"), load(data, "rocket.jpg")
    return {
        # landscape, bigger than 224 on both sides: full-size CLIP/SigLIP cases downscale it
        "chelsea-320x240": chelsea.crop((40, 20, 400, 290)).resize((320, 240), Image.LANCZOS),
        "coffee-portrait-90x151": coffee.crop((150, 20, 390, 420)).resize((90, 151), Image.LANCZOS),
        "astronaut-64x64": astronaut.resize((64, 64), Image.LANCZOS),
        "rocket-tiny-37x20": rocket.crop((100, 150, 285, 250)).resize((37, 20), Image.LANCZOS),
        "rocket-odd-77x131": rocket.crop((120, 40, 274, 302)).resize((77, 131), Image.LANCZOS),
        "chelsea-wide-101x23": chelsea.crop((0, 100, 451, 203)).resize((101, 23), Image.LANCZOS),
    }


def processor(name: str):
    config = dict(CONFIGS[name])
    kind = config.pop("image_processor_type", None) or "CLIPImageProcessor"
    config.pop("processor_class", None)
    config.pop("feature_extractor_type", None)
    cls = {"CLIPImageProcessor": CLIPImageProcessorPil, "SiglipImageProcessor": SiglipImageProcessorPil,
           "Idefics3ImageProcessor": Idefics3ImageProcessorPil}[kind]
    return cls(**config)


def stats(a: np.ndarray) -> dict:
    a64 = a.astype(np.float64)
    return {"sum": float(a64.sum()), "abs_sum": float(np.abs(a64).sum()), "min": float(a.min()), "max": float(a.max())}


def main() -> None:
    data = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/ski/skimage/data")
    (OUT / "inputs").mkdir(parents=True, exist_ok=True)
    (OUT / "outputs").mkdir(parents=True, exist_ok=True)
    inputs = make_inputs(data)
    manifest = {"reference": f"transformers 5.24 PIL backend (*ImageProcessorPil), Pillow {PIL.__version__}",
                "inputs": {}, "resample": [], "cases": [], "tile_counts": []}
    for name, img in inputs.items():
        np.asarray(img, dtype=np.uint8).tofile(OUT / f"inputs/{name}.rgb")
        manifest["inputs"][name] = {"width": img.width, "height": img.height}

    for name, config in CONFIGS.items():
        folder = OUT / "configs" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "preprocessor_config.json").write_text(json.dumps(config, indent=2) + "\n")

    # Pillow resampling alone: exact uint8 outputs, every filter, up and down.
    filters = {"nearest": Image.NEAREST, "lanczos": Image.LANCZOS, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC,
               "box": Image.BOX, "hamming": Image.HAMMING}
    resample_cases = [("coffee-portrait-90x151", 41, 67), ("rocket-tiny-37x20", 53, 29),
                      ("astronaut-64x64", 64, 23), ("chelsea-wide-101x23", 17, 23), ("rocket-odd-77x131", 130, 9), ("rocket-odd-77x131", 70, 20)]
    for src, w, h in resample_cases:
        for fname, f in filters.items():
            out = np.asarray(inputs[src].resize((w, h), f), dtype=np.uint8)
            key = f"{src}-to-{w}x{h}-{fname}"
            out.tofile(OUT / f"outputs/resample-{key}.rgb")
            manifest["resample"].append({"input": src, "width": w, "height": h, "filter": fname,
                                         "file": f"outputs/resample-{key}.rgb"})

    # Whole processors. "full": store all of pixel_values; otherwise a strided sample plus stats.
    cases = [
        ("clip-vit-base-patch32", "chelsea-320x240", 11), ("siglip-base-patch16-224", "chelsea-320x240", 11),
        ("clip-vit-base-patch32", "rocket-tiny-37x20", 11),
        ("smolvlm-256m-instruct", "rocket-tiny-37x20", 997),
        ("clip-small", "coffee-portrait-90x151", 1), ("clip-small", "rocket-tiny-37x20", 1),
        ("clip-small", "chelsea-wide-101x23", 1),
        ("siglip-small", "rocket-odd-77x131", 1), ("siglip-small", "astronaut-64x64", 1),
        ("idefics3-small", "coffee-portrait-90x151", 1), ("idefics3-small", "rocket-tiny-37x20", 1),
        ("idefics3-small", "chelsea-wide-101x23", 1), ("idefics3-small", "astronaut-64x64", 1),
        ("idefics3-small-nosplit", "rocket-odd-77x131", 1),
        ("clip-capped-nocrop", "coffee-portrait-90x151", 1), ("clip-capped-nocrop", "chelsea-wide-101x23", 1),
        ("clip-pad-crop", "chelsea-wide-101x23", 1), ("clip-pad-crop", "rocket-tiny-37x20", 1),
        ("siglip-raw-hamming", "astronaut-64x64", 1),
        ("idefics3-small-noresize", "rocket-tiny-37x20", 1), ("idefics3-small-noresize", "chelsea-wide-101x23", 1),
    ]
    for config_name, src, stride in cases:
        p = processor(config_name)
        kwargs = {"return_row_col_info": True} if "idefics3" in p.__class__.__name__.lower() else {}
        enc = p(images=[inputs[src]], return_tensors="np", **kwargs)
        pv = np.asarray(enc["pixel_values"], dtype=np.float32)
        if "idefics3" in p.__class__.__name__.lower():
            pv = pv[0]  # one image: (tiles, 3, S, S)
        key = f"{config_name}--{src}"
        pv.reshape(-1)[::stride].astype(np.float32).tofile(OUT / f"outputs/{key}.f32")
        case = {"config": config_name, "input": src, "stride": stride, "file": f"outputs/{key}.f32",
                "shape": list(pv.shape), "stats": stats(pv)}
        if "rows" in enc:
            case["rows"], case["cols"] = int(enc["rows"][0][0]), int(enc["cols"][0][0])
            mask = np.asarray(enc["pixel_attention_mask"])[0]
            case["mask_shape"], case["mask_sum"] = list(mask.shape), int(mask.sum())
        if pv.ndim == 4:
            case["tile_sums"] = [float(t.astype(np.float64).sum()) for t in pv]
        manifest["cases"].append(case)

    # Batch padding: two images with different tile counts in one call (idefics3-small). The tiles equal
    # the single-image outputs above, so only the layout, per-tile sums and masks are stored.
    p = processor("idefics3-small")
    names = ["coffee-portrait-90x151", "chelsea-wide-101x23"]
    enc = p(images=[[inputs[n]] for n in names], return_tensors="np", return_row_col_info=True)
    pv, mask = np.asarray(enc["pixel_values"], np.float32), np.asarray(enc["pixel_attention_mask"])
    manifest["batch"] = {"config": "idefics3-small", "inputs": names, "shape": list(pv.shape),
                         "tile_sums": pv.astype(np.float64).reshape(pv.shape[0], pv.shape[1], -1).sum(-1).tolist(),
                         "mask_shape": list(mask.shape),
                         "mask_tile_sums": mask.reshape(mask.shape[0], mask.shape[1], -1).sum(-1).tolist(),
                         "rows": [int(r[0]) for r in enc["rows"]], "cols": [int(c[0]) for c in enc["cols"]]}

    # Tile layout of the real SmolVLM config for many sizes (blank images of that size), split and not.
    sizes = [(37, 20), (20, 37), (512, 512), (513, 512), (1024, 768), (768, 1024), (2048, 2048), (4000, 300),
             (300, 4000), (1, 1), (3, 1000), (640, 480), (1920, 1080), (511, 2)]
    for split in (True, False):
        config = dict(CONFIGS["smolvlm-256m-instruct"], do_image_splitting=split)
        config.pop("image_processor_type"), config.pop("processor_class")
        p = Idefics3ImageProcessorPil(**config)
        for w, h in sizes:
            img = Image.new("RGB", (w, h), (10, 200, 30))
            enc = p(images=[img], return_tensors="np", return_row_col_info=True)
            manifest["tile_counts"].append({"width": w, "height": h, "split": split,
                                            "tiles": int(enc["pixel_values"].shape[1]),
                                            "rows": int(enc["rows"][0][0]), "cols": int(enc["cols"][0][0]),
                                            "tile_size": int(enc["pixel_values"].shape[-1])})

    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
