#!/usr/bin/env python3
"""Reference outputs of a tiny seeded Idefics3 / SmolVLM model for LoomModels' and LoomCLI's tests.

Reference: Hugging Face transformers 5.24 (the venv at .venv-ref):
  transformers/models/idefics3/modeling_idefics3.py          (Idefics3ForConditionalGeneration, Idefics3Connector)
  transformers/models/idefics3/processing_idefics3.py        (Idefics3Processor: the image-token layout)
  transformers/models/idefics3/image_processing_pil_idefics3.py (tiles + global image)
No pretrained weights exist on our machines (shared/MODELS.md), so the model is the real architecture at
reduced size with seeded random weights (a SigLIP-style vision tower, the pixel-shuffle connector and a
Llama text model), and the tokenizer is a small byte-level BPE trained here on a few sentences plus the
Idefics3 special tokens, with SmolVLM's chat template.

Writes into Tests/Fixtures/idefics3/:
  model/                      the Hugging Face folder (config.json, model.safetensors, tokenizer.json,
                              tokenizer_config.json, preprocessor_config.json, processor_config.json,
                              chat_template.jinja, generation_config.json)
  reference.json              per image and tiling: prompt ids, pixel summary, last-position logits rows,
                              greedy ids and text; token layouts for many image sizes; tolerances' inputs
  <case>_vision.f32           post_layernorm patch states of every tile (tiles, patches, D_vision)
  <case>_connector.f32        pixel shuffle + modality projection (tiles * image_seq_len, D_text)
  <case>_<prompt>_logits.f32  logits of the last 3 prompt positions (3, vocab)

Usage (from the repository root):  .venv-ref/bin/python Scripts/reference/dump_idefics3.py
"""
import json
import shutil
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import Idefics3Config, Idefics3ForConditionalGeneration, PreTrainedTokenizerFast
from transformers.models.idefics3.image_processing_pil_idefics3 import Idefics3ImageProcessorPil
from transformers.models.idefics3.processing_idefics3 import Idefics3Processor

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests/Fixtures/idefics3"
FOLDER = OUT / "model"

IMAGE_SIZE, PATCH, SCALE = 64, 8, 2
IMAGE_SEQ_LEN = (IMAGE_SIZE // PATCH) ** 2 // SCALE**2  # 16 <image> tokens per tile
LONGEST_EDGE = 3 * IMAGE_SIZE  # at most a 3 x 3 grid of tiles
IMAGES = ["chelsea.jpg", "astronaut.png", "hopper.jpg"]
PROMPTS = {"caption": "Describe this image.", "question": "What animal is in the picture?"}
MAX_NEW_TOKENS = 12
# Sizes (width, height) whose token layouts are compared without running the model.
LAYOUT_SIZES = [(451, 300), (300, 451), (64, 64), (65, 64), (128, 128), (200, 50), (50, 200), (1000, 30),
                (30, 1000), (192, 191), (129, 257), (7, 5)]

# SmolVLM's chat template as transformers' processing_smolvlm.DEFAULT_CHAT_TEMPLATE (less the video branch).
CHAT_TEMPLATE = (
    "<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}{% if message['content'] is string %}"
    "{{': ' + message['content']}}{% else %}{% if message['content'][0]['type'] == 'image' %}{{':'}}{% else %}"
    "{{': '}}{% endif %}{% for line in message['content'] %}{% if line['type'] == 'text' %}{{line['text']}}"
    "{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}{% endif %}<end_of_utterance>\n"
    "{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)
SPECIAL = (["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<end_of_utterance>", "<fake_token_around_image>",
            "<image>", "<global-img>"]
           + [f"<row_{r}_col_{c}>" for r in range(1, 7) for c in range(1, 7)])
CORPUS = [
    "User: Describe this image. Assistant: A cat is lying on a red blanket next to a remote.",
    "User: What animal is in the picture? Assistant: It is a cat with stripes and green eyes.",
    "An astronaut stands in front of a flag on the moon in a white suit.",
    "A portrait of a woman in a uniform; the photo is old and grey.",
    "The picture shows a rocket on its launch pad, smoke rising into the blue sky.",
    "A cup of coffee on a wooden table, with foam shaped like a heart.",
    "Questions and answers about images: what, where, who, how many, which colour?",
]


def build_tokenizer() -> PreTrainedTokenizerFast:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=420, special_tokens=SPECIAL,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(CORPUS * 4, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<|im_start|>", eos_token="<end_of_utterance>", pad_token="<|endoftext|>",
        unk_token="<|endoftext|>", additional_special_tokens=SPECIAL[3:], chat_template=CHAT_TEMPLATE,
        add_bos_token=False)


def perturb(model: torch.nn.Module) -> None:
    """Noise on every parameter so biases and norm weights are non-trivial (zeros would hide loading bugs)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1 and "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.3 * torch.randn_like(p))
            else:
                p.add_(torch.randn_like(p) * (0.2 if "text_model" in name or "lm_head" in name else 0.08))


def save(path: Path, array) -> None:
    np.ascontiguousarray(np.asarray(array, dtype=np.float32)).tofile(path)


def position_ids_are_identity(side: int) -> bool:
    """Idefics3VisionEmbeddings buckets fractional coordinates; for full (unpadded) tiles Loom assumes the
    buckets are the plain 0..<side*side positions. Checked here for the fixture and the real sizes."""
    from transformers.models.idefics3.modeling_idefics3 import Idefics3VisionEmbeddings
    from transformers.models.idefics3.configuration_idefics3 import Idefics3VisionConfig
    emb = Idefics3VisionEmbeddings(Idefics3VisionConfig(hidden_size=8, image_size=side * 4, patch_size=4))
    with torch.no_grad():
        emb.position_embedding.weight.copy_(torch.arange(side * side, dtype=torch.float32)[:, None].expand(-1, 8))
        emb.patch_embedding.weight.zero_()
        emb.patch_embedding.bias.zero_()
        out = emb(torch.zeros(1, 3, side * 4, side * 4), torch.ones(1, side, side, dtype=torch.bool))
    return bool((out[0, :, 0] == torch.arange(side * side, dtype=torch.float32)).all())


def main() -> None:
    for side in (IMAGE_SIZE // PATCH, 26, 27, 32):  # fixture, Idefics3-8B (364 / 14), odd, SmolVLM-256M (512 / 16)
        assert position_ids_are_identity(side), f"bucketized positions differ from arange for side {side}"

    if FOLDER.exists():
        shutil.rmtree(FOLDER)
    FOLDER.mkdir(parents=True)
    tokenizer = build_tokenizer()
    image_processor = Idefics3ImageProcessorPil(
        do_resize=True, size={"longest_edge": LONGEST_EDGE}, max_image_size={"longest_edge": IMAGE_SIZE},
        resample=1, do_image_splitting=True, image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5])
    processor = Idefics3Processor(image_processor=image_processor, tokenizer=tokenizer, image_seq_len=IMAGE_SEQ_LEN,
                                  chat_template=CHAT_TEMPLATE)
    vocab = len(tokenizer)

    torch.manual_seed(0)
    config = Idefics3Config(
        vision_config=dict(hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=2,
                           image_size=IMAGE_SIZE, patch_size=PATCH, layer_norm_eps=1e-6),
        text_config=dict(model_type="llama", vocab_size=vocab, hidden_size=64, intermediate_size=96,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=512, rms_norm_eps=1e-5, rope_parameters=dict(rope_theta=100000.0, rope_type="default"),
                         tie_word_embeddings=False, pad_token_id=tokenizer.pad_token_id),
        scale_factor=SCALE, image_token_id=tokenizer.convert_tokens_to_ids("<image>"), tie_word_embeddings=False)
    model = Idefics3ForConditionalGeneration(config).float().eval()
    perturb(model)
    end_ids = [tokenizer.convert_tokens_to_ids("<end_of_utterance>"), tokenizer.convert_tokens_to_ids("<|im_end|>")]
    model.generation_config.eos_token_id = end_ids
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.bos_token_id = None
    model.save_pretrained(FOLDER)
    processor.save_pretrained(FOLDER)
    # The Hub's SmolVLM folders keep the image processor in preprocessor_config.json and only image_seq_len in
    # processor_config.json (transformers 5 nests both in processor_config.json); write the Hub layout.
    nested = json.loads((FOLDER / "processor_config.json").read_text())
    preprocessor = {**nested.pop("image_processor"), "processor_class": "Idefics3Processor"}
    (FOLDER / "preprocessor_config.json").write_text(json.dumps(preprocessor, indent=2) + "\n")
    (FOLDER / "processor_config.json").write_text(json.dumps(nested, indent=2) + "\n")

    meta = {"images": IMAGES, "prompts": PROMPTS, "image_seq_len": IMAGE_SEQ_LEN, "max_new_tokens": MAX_NEW_TOKENS,
            "end_ids": end_ids, "vocab": vocab, "cases": {}, "layouts": []}
    untiled = Idefics3Processor(
        image_processor=Idefics3ImageProcessorPil(**{**image_processor.to_dict(), "do_image_splitting": False}),
        tokenizer=tokenizer, image_seq_len=IMAGE_SEQ_LEN, chat_template=CHAT_TEMPLATE)
    untiled.image_processor.do_image_splitting = False
    for tiling, proc in (("tiled", processor), ("untiled", untiled)):
        text = proc.apply_chat_template(
            [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": PROMPTS["caption"]}]}],
            add_generation_prompt=True)
        for width, height in LAYOUT_SIZES:
            image = Image.new("RGB", (width, height), (200, 30, 90))
            ids = proc(text=text, images=[image])["input_ids"][0]
            meta["layouts"].append({"width": width, "height": height, "tiling": tiling == "tiled", "ids": list(ids)})

    with torch.no_grad():
        for name in IMAGES:
            image = Image.open(ROOT / "Samples/images" / name).convert("RGB")
            for tiling, proc in (("tiled", processor), ("untiled", untiled)):
                case = f"{Path(name).stem}_{tiling}"
                entry = {}
                for key, prompt in PROMPTS.items():
                    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": prompt}]}]
                    text = proc.apply_chat_template(messages, add_generation_prompt=True)
                    inputs = proc(text=text, images=[image], return_tensors="pt")
                    pixels = inputs["pixel_values"]
                    ids = inputs["input_ids"]
                    out = model(**inputs)
                    save(OUT / f"{case}_{key}_logits.f32", out.logits[0, -3:])
                    generated = model.generate(**inputs, max_new_tokens=MAX_NEW_TOKENS, do_sample=False)
                    new = generated[0, ids.shape[1]:].tolist()
                    entry[key] = {"text": text, "ids": ids[0].tolist(), "greedy": new,
                                  "greedy_text": tokenizer.decode(new, skip_special_tokens=True)}
                    if key == "caption":
                        tiles = pixels[0]
                        features = model.model.vision_model(pixel_values=tiles).last_hidden_state
                        connector = model.model.connector(features)
                        image_features = model.model.get_image_features(
                            pixel_values=pixels, pixel_attention_mask=inputs["pixel_attention_mask"]).pooler_output[0]
                        assert torch.allclose(image_features, connector.reshape(-1, connector.shape[-1]), atol=1e-6)
                        save(OUT / f"{case}_vision.f32", features)
                        save(OUT / f"{case}_connector.f32", connector.reshape(-1, connector.shape[-1]))
                        entry["tiles"] = int(tiles.shape[0])
                        entry["pixel_shape"] = list(tiles.shape)
                        entry["pixel_sum"] = float(tiles.double().sum())
                        entry["pixel_abs_sum"] = float(tiles.double().abs().sum())
                meta["cases"][case] = entry
                print(case, entry["tiles"], "tiles; caption greedy", entry["caption"]["greedy"])
    (OUT / "reference.json").write_text(json.dumps(meta) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
