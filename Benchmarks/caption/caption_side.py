#!/usr/bin/env python3
"""transformers side of Benchmarks/caption: a full-size SmolVLM-256M-Instruct architecture with seeded random
weights, captioned with Idefics3ForConditionalGeneration on torch CPU.

  caption_side.py build FOLDER     write the Hugging Face folder once (config, model.safetensors f32, tokenizer,
                                   preprocessor/processor config, chat template, generation config)
  caption_side.py run FOLDER --images A.jpg B.png [--tiling] [--threads 2] [--tokens 32] [--repeat 3]
                                   print one JSON line per image (best of --repeat after a one-tile warm-up)

Reference: transformers 5.24 (.venv-ref), transformers/models/idefics3/{modeling,processing}_idefics3.py and
image_processing_pil_idefics3.py (Pillow backend: the one transformers uses without torchvision).
Architecture numbers are SmolVLM-256M-Instruct's config.json / preprocessor_config.json (HuggingFaceTB on the Hub):
SigLIP tower 768 wide, 12 layers, 12 heads, MLP 3072, 512 px tiles of 16 px patches; pixel shuffle 4 (64 tokens
per tile); Llama text model 576 wide, 30 layers, 9 heads / 3 KV heads, MLP 1536, vocab 49280, rope theta 100000,
tied embeddings; images resized to a 2048 px longest edge and cut into 512 px tiles plus the whole image.
Speed does not depend on the weights' values, so no pretrained weights are needed (none exist on our machines).
The tokenizer is a small byte-level BPE (as Scripts/reference/dump_idefics3.py) padded with filler tokens to the
full 49280 ids, so that any id the random model picks decodes.
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

VOCAB = 49280
IMAGE_SIZE, PATCH, SCALE = 512, 16, 4
IMAGE_SEQ_LEN = (IMAGE_SIZE // PATCH) ** 2 // SCALE**2  # 64
LONGEST_EDGE = 2048
PROMPT = "Describe this image."
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
    "The picture shows a rocket on its launch pad, smoke rising into the blue sky.",
]


def build_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=SPECIAL,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(CORPUS * 4, trainer=trainer)
    # Filler tokens up to the model's vocab: never produced by encoding (no merges reach them), but decodable
    # (their characters are in the byte-level alphabet).
    spec = json.loads(tok.to_str())
    vocab = spec["model"]["vocab"]
    n = 0
    while len(vocab) < VOCAB:
        vocab.setdefault(f"zz{n}", len(vocab))
        n += 1
    tok = Tokenizer.from_str(json.dumps(spec))
    assert tok.get_vocab_size() == VOCAB, tok.get_vocab_size()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<|im_start|>", eos_token="<end_of_utterance>", pad_token="<|endoftext|>",
        unk_token="<|endoftext|>", additional_special_tokens=SPECIAL[3:], chat_template=CHAT_TEMPLATE,
        add_bos_token=False)


def build(folder: Path) -> None:
    from transformers import Idefics3Config, Idefics3ForConditionalGeneration
    from transformers.models.idefics3.image_processing_pil_idefics3 import Idefics3ImageProcessorPil
    from transformers.models.idefics3.processing_idefics3 import Idefics3Processor

    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer()
    image_processor = Idefics3ImageProcessorPil(
        do_resize=True, size={"longest_edge": LONGEST_EDGE}, max_image_size={"longest_edge": IMAGE_SIZE},
        resample=1, do_image_splitting=True, image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5])
    processor = Idefics3Processor(image_processor=image_processor, tokenizer=tokenizer, image_seq_len=IMAGE_SEQ_LEN,
                                  chat_template=CHAT_TEMPLATE)
    torch.manual_seed(0)
    config = Idefics3Config(
        vision_config=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                           image_size=IMAGE_SIZE, patch_size=PATCH, layer_norm_eps=1e-6),
        text_config=dict(model_type="llama", vocab_size=VOCAB, hidden_size=576, intermediate_size=1536,
                         num_hidden_layers=30, num_attention_heads=9, num_key_value_heads=3,
                         max_position_embeddings=8192, rms_norm_eps=1e-5,
                         rope_parameters=dict(rope_theta=100000.0, rope_type="default"),
                         tie_word_embeddings=True, pad_token_id=tokenizer.pad_token_id),
        scale_factor=SCALE, image_token_id=tokenizer.convert_tokens_to_ids("<image>"), tie_word_embeddings=True)
    model = Idefics3ForConditionalGeneration(config).float().eval()
    end_ids = [tokenizer.convert_tokens_to_ids("<end_of_utterance>")]
    model.generation_config.eos_token_id = end_ids
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.bos_token_id = None
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    # The Hub's SmolVLM folders keep the image processor in preprocessor_config.json (see dump_idefics3.py).
    nested = json.loads((folder / "processor_config.json").read_text())
    preprocessor = {**nested.pop("image_processor"), "processor_class": "Idefics3Processor"}
    (folder / "preprocessor_config.json").write_text(json.dumps(preprocessor, indent=2) + "\n")
    (folder / "processor_config.json").write_text(json.dumps(nested, indent=2) + "\n")
    params = sum(p.numel() for p in model.parameters())
    print(f"wrote {folder} ({params / 1e6:.0f}M parameters)", file=sys.stderr)


def ms(seconds: float) -> float:
    return seconds * 1000


def run(folder: Path, images: list, tiling: bool, threads: int, tokens: int, repeat: int) -> None:
    from PIL import Image
    from transformers import AutoProcessor, Idefics3ForConditionalGeneration

    torch.set_num_threads(threads)
    start = time.perf_counter()
    model = Idefics3ForConditionalGeneration.from_pretrained(folder, dtype=torch.float32).eval()
    processor = AutoProcessor.from_pretrained(folder)
    load_ms = ms(time.perf_counter() - start)

    # Time the vision tower + connector inside the real forward pass.
    encode_times = []
    inner = model.model.get_image_features

    def timed_image_features(*args, **kwargs):
        t = time.perf_counter()
        out = inner(*args, **kwargs)
        encode_times.append(time.perf_counter() - t)
        return out

    model.model.get_image_features = timed_image_features
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": PROMPT}]}]

    def caption(path: str, tiling: bool) -> dict:
        with torch.inference_mode():
            t0 = time.perf_counter()
            image = Image.open(path).convert("RGB")
            prompt = processor.apply_chat_template(messages, add_generation_prompt=True)
            inputs = processor(text=prompt, images=[[image]], return_tensors="pt", do_image_splitting=tiling)
            t1 = time.perf_counter()
            out = model(**inputs, use_cache=True)
            token = int(out.logits[0, -1].argmax())
            t2 = time.perf_counter()
            ids = [token]
            past = out.past_key_values
            for _ in range(tokens - 1):  # greedy, EOS ignored: exactly `tokens` new tokens
                out = model(input_ids=torch.tensor([[token]]), past_key_values=past, use_cache=True)
                past = out.past_key_values
                token = int(out.logits[0, -1].argmax())
                ids.append(token)
            t3 = time.perf_counter()
        return {"preprocess_ms": ms(t1 - t0), "encode_ms": ms(encode_times[-1]), "ttft_ms": ms(t2 - t0),
                "prefill_ms": ms(t2 - t1) - ms(encode_times[-1]), "decode_tok_s": (tokens - 1) / (t3 - t2),
                "prompt_tokens": int(inputs["input_ids"].shape[1]), "tiles": int(inputs["pixel_values"].shape[1]),
                "ids": ids}

    for path in images:
        caption(path, tiling=False)  # warm-up: one tile, as Loom's (see BenchCaption.swift)
        runs = [caption(path, tiling) for _ in range(repeat)]
        best = {key: min(r[key] for r in runs) for key in ("preprocess_ms", "encode_ms", "ttft_ms", "prefill_ms")}
        best["decode_tok_s"] = max(r["decode_tok_s"] for r in runs)
        best["ttft_ms_median"] = statistics.median(r["ttft_ms"] for r in runs)
        print(json.dumps({"side": "transformers", "image": Path(path).name, "tiling": tiling, "threads": threads,
                          "load_ms": load_ms, "tokens": tokens, "repeat": repeat, "prompt_tokens": runs[0]["prompt_tokens"],
                          "tiles": runs[0]["tiles"], "ids": runs[0]["ids"][:8], **best}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["build", "run"])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--images", nargs="*", default=[])
    parser.add_argument("--tiling", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.command == "build":
        build(args.folder)
    else:
        run(args.folder, args.images, args.tiling, args.threads, args.tokens, args.repeat)


if __name__ == "__main__":
    main()
