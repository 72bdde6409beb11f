#!/usr/bin/env python3
"""Reference ids and text embeddings for CLIP's text tokenizer (`loom embed --text` on CLIP folders).

CLIP's tokenizer.json is not plain byte-level BPE: it normalizes (NFC, whitespace runs to one space,
lowercase), splits words with CLIP's own regex, spells bytes with the byte-level alphabet, and ends every
word with "</w>" before the BPE merges; RobertaProcessing puts <|startoftext|> / <|endoftext|> around.
This builds a tokenizer with exactly that pipeline (the layout of openai/clip-vit-base-patch32's
tokenizer.json), trained here on a few sentences since no CLIP files exist on our machines, and a tiny
seeded CLIPModel whose vocabulary fits it.

Reference: transformers 5.24 CLIPTokenizerFast (models/clip/tokenization_clip.py) and CLIPModel
(models/clip/modeling_clip.py); tokenizers' BPE with end_of_word_suffix.

Writes Tests/Fixtures/vision-embed/clip/{config.json, model.safetensors, preprocessor_config.json,
tokenizer.json, tokenizer_config.json} and Tests/Fixtures/vision-embed/clip_text.json (texts, ids,
normalized text embeddings).

Usage (from the repository root):  .venv-ref/bin/python Scripts/reference/dump_clip_text.py
"""
import json
import shutil
from pathlib import Path

import torch
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import CLIPConfig, CLIPModel, CLIPTokenizerFast

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests/Fixtures/vision-embed"
FOLDER = OUT / "clip"
CLIP_SPLIT = r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""
CORPUS = [
    "a photo of a cat", "a photo of a dog", "an astronaut on the moon", "a cup of coffee on a table",
    "a rocket launch at night", "a portrait of a woman", "two cats sleeping on a red sofa",
    "the cat's toy isn't here", "it's 3 o'clock", "a diagram of the solar system",
]
TEXTS = [
    "a photo of a cat", "A Photo   of a DOG!", "It's 12 o'clock; the cat's asleep.", "café crème brûlée",
    "an astronaut 🚀 on the moon", "  leading and trailing spaces  ", "xyzzy qwerty", "",
    "a very long caption " * 6,
]


def build_tokenizer() -> Tokenizer:
    tok = Tokenizer(models.BPE(unk_token="<|endoftext|>", end_of_word_suffix="</w>", continuing_subword_prefix=""))
    tok.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(CLIP_SPLIT), behavior="removed", invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.BPEDecoder(suffix="</w>")
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    trainer = trainers.BpeTrainer(
        vocab_size=700, special_tokens=["<|startoftext|>", "<|endoftext|>"], end_of_word_suffix="</w>",
        initial_alphabet=alphabet, show_progress=False)
    tok.train_from_iterator(CORPUS * 3, trainer=trainer)
    # CLIP's vocabulary holds every byte alone and as a word end ("a</w>"), so no text maps to unk.
    vocab = tok.get_vocab()
    missing = [c + "</w>" for c in alphabet if c + "</w>" not in vocab]
    tok.add_tokens(missing)  # keep ids; these become added tokens, rewritten into the BPE vocab below
    data = json.loads(tok.to_str())
    added = [t for t in data["added_tokens"] if t["content"] in missing]
    data["added_tokens"] = [t for t in data["added_tokens"] if t["content"] not in missing]
    for t in added:
        data["model"]["vocab"][t["content"]] = t["id"]
    bos, eos = data["model"]["vocab"]["<|startoftext|>"], data["model"]["vocab"]["<|endoftext|>"]
    data["post_processor"] = {"type": "RobertaProcessing", "sep": ["<|endoftext|>", eos], "cls": ["<|startoftext|>", bos],
                              "trim_offsets": False, "add_prefix_space": False}
    return Tokenizer.from_str(json.dumps(data))


def main() -> None:
    if FOLDER.exists():
        shutil.rmtree(FOLDER)
    FOLDER.mkdir(parents=True)
    tok = build_tokenizer()
    fast = CLIPTokenizerFast(tokenizer_object=tok, bos_token="<|startoftext|>", eos_token="<|endoftext|>",
                             unk_token="<|endoftext|>", pad_token="<|endoftext|>", model_max_length=16)
    fast.save_pretrained(FOLDER)
    vocab = tok.get_vocab_size()
    torch.manual_seed(3)
    config = CLIPConfig(
        text_config=dict(vocab_size=vocab, hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=2,
                         max_position_embeddings=16, hidden_act="gelu", pad_token_id=fast.pad_token_id,
                         bos_token_id=fast.bos_token_id, eos_token_id=fast.eos_token_id),
        vision_config=dict(hidden_size=32, intermediate_size=37, num_hidden_layers=1, num_attention_heads=2,
                           image_size=32, patch_size=8, hidden_act="quick_gelu"),
        projection_dim=24)
    model = CLIPModel(config).eval()
    with torch.no_grad():
        for _, p in model.named_parameters():
            p.add_(torch.randn_like(p) * 0.1)
    model.save_pretrained(FOLDER)
    (FOLDER / "preprocessor_config.json").write_text(json.dumps({
        "image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 32}, "crop_size": {"height": 32, "width": 32},
        "do_center_crop": True, "resample": 3, "image_mean": [0.48145466, 0.4578275, 0.40821073],
        "image_std": [0.26862954, 0.26130258, 0.27577711]}, indent=2) + "\n")
    cases = []
    with torch.no_grad():
        for text in TEXTS:
            ids = fast(text, truncation=True, max_length=16)["input_ids"]
            features = model.get_text_features(input_ids=torch.tensor([ids])).pooler_output
            embedding = (features / features.norm(dim=-1, keepdim=True))[0]
            full_ids = fast(text)["input_ids"]
            cases.append({"text": text, "ids": full_ids, "truncated_ids": ids, "embedding": embedding.tolist()})
            print(repr(text), full_ids)
    (OUT / "clip_text.json").write_text(json.dumps({"max_length": 16, "cases": cases}) + "\n")


if __name__ == "__main__":
    main()
