#!/usr/bin/env python3
"""Reference outputs for the WordPiece tokenizer and the BERT sentence encoder.

sentence-transformers is not installed in the reference venv; this script does what its modules do
for all-MiniLM-L6-v2 (sentence_transformers/models/Transformer.py, Pooling.py, Normalize.py):
tokenizer(texts, padding=True, truncation="longest_first", max_length=max_seq_length) with the fast
(Rust `tokenizers`) tokenizer, BertModel forward on the padded batch with its attention mask, mean
pooling of the last hidden state over the mask, then L2 normalization.

Writes under Tests/Fixtures/bert/:
- tokenizer.json: token ids of many tricky strings (accents, CJK, emoji, control characters, long
  words, literal special tokens) from the real tokenizer, max_length 256.
- minilm.json: the embedding sentences, their token ids and 384-d normalized embeddings (real model).
- tiny-random/: a seeded random BERT (hidden 32, 2 layers, 2 heads) with a made-up vocabulary saved
  as a sentence-transformers folder, and tiny-random/reference.json with ids, last hidden states and
  mean-pooled normalized embeddings, so the encoder is tested without the real model.

Run from the repository root:  .venv-ref/bin/python Scripts/reference/dump_bert.py
"""
import json
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
from transformers import AutoTokenizer, BertConfig, BertModel, PreTrainedTokenizerFast

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "Fixtures" / "bert"
MINILM = Path("/tmp/loomhome/models/minilm-l6-v2")

LONG = " ".join(["The quick brown fox jumps over the lazy dog near the riverbank at dawn."] * 30)

EMBED_SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "A man is riding a horse.",
    "",
    "Crème brûlée à la carte, naïve café in São Paulo!",
    "北京是中国的首都。東京は日本の首都です。",
    "I love pizza 🍕🔥 and emoji 👍🏽 too",
    "Wait... what?!? (Really) -- yes: [maybe]; {no} <ok> #tag @user $5.00 50% a+b=c",
    LONG,
    "   leading and trailing whitespace\tand\ttabs\nnewlines   ",
    "Transformers-based sentence embeddings are supercalifragilisticexpialidocious.",
    "[CLS] literal special tokens [SEP] inside [MASK] text",
]

TOKENIZER_STRINGS = EMBED_SENTENCES + [
    "HELLO World",
    "ΟΔΟΣ Σίσυφος",  # Greek capitals and final sigma, accents stripped
    "İstanbul ŞEHİR",
    "Ångström Æsir Øresund œuvre ß",
    "한국어 텍스트와 ひらがな カタカナ",
    "zero\u200bwidth\u200djoiner\u00adsoft",
    "control\u0000char\u0007bell\ufffdreplacement",
    "nbsp\u00a0thin\u2009ideographic\u3000space",
    "a" * 101,
    "x" * 100,
    "don't won’t «quoted» „German“ — em-dash … ellipsis",
    "3.14159 1,000,000 2024-01-01 12:30pm",
    "https://example.com/path?query=1&b=2#frag",
    "naïveté résumé coöperate façade",
    "𠀀𪜀 rare CJK extension ideographs 丂",
    "UPPER lower MiXeD",
    "[UNK] [PAD][SEP]x",
    "¿Qué? ¡Sí! 1½ ²³ ©®™ ° € £ ¥",
    "مرحبا بالعالم שלום עולם",
    "Привет, мир! Ёлка",
]


def mean_pool_normalize(hidden, mask):
    m = mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, p=2, dim=1)


def dump_real():
    tok = AutoTokenizer.from_pretrained(str(MINILM))
    max_len = json.loads((MINILM / "sentence_bert_config.json").read_text())["max_seq_length"]
    cases = []
    for s in TOKENIZER_STRINGS:
        ids = tok(s.strip(), truncation="longest_first", max_length=max_len)["input_ids"]
        cases.append({"text": s, "ids": ids})
    (OUT / "tokenizer.json").write_text(json.dumps({"max_length": max_len, "cases": cases}, ensure_ascii=False, indent=0))

    model = BertModel.from_pretrained(str(MINILM), add_pooling_layer=False).eval()
    batch = tok([s.strip() for s in EMBED_SENTENCES], padding=True, truncation="longest_first",
                max_length=max_len, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    emb = mean_pool_normalize(hidden, batch["attention_mask"])
    ids = [[int(t) for t, m in zip(row, mask) if m] for row, mask in zip(batch["input_ids"], batch["attention_mask"])]
    (OUT / "minilm.json").write_text(json.dumps({
        "sentences": EMBED_SENTENCES, "ids": ids,
        "embeddings": [[round(float(v), 8) for v in row] for row in emb],
    }, ensure_ascii=False))
    print("minilm: tokenizer cases", len(cases), "embeddings", tuple(emb.shape))


TINY_WORDS = ["the", "a", "man", "is", "eat", "##ing", "food", "horse", "rid", "bread", "piece", "of",
              "ca", "##fe", "cafe", "un", "##known", "##s", ".", ",", "!", "?", "北", "京", "hello", "world",
              "x", "##x", "##y", "y"]


def dump_tiny():
    folder = OUT / "tiny-random"
    folder.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + TINY_WORDS
    vocab_ids = {t: i for i, t in enumerate(vocab)}
    tk = Tokenizer(models.WordPiece(vocab_ids, unk_token="[UNK]", max_input_chars_per_word=100))
    tk.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    tk.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tk.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab_ids["[CLS]"]), ("[SEP]", vocab_ids["[SEP]"])])
    tk.add_special_tokens(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    tk.save(str(folder / "tokenizer.json"))

    torch.manual_seed(1234)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=40, type_vocab_size=2,
                        hidden_act="gelu", layer_norm_eps=1e-12)
    model = BertModel(config, add_pooling_layer=True).eval()
    with torch.no_grad():  # larger than the default 0.02 init, so every weight visibly matters
        for name, p in model.named_parameters():
            if "LayerNorm.weight" in name:
                p.copy_(1 + 0.2 * torch.randn_like(p))
            else:
                p.copy_(0.3 * torch.randn_like(p))
    model.config.to_json_file(str(folder / "config.json"))
    tensors = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    (folder / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}], indent=2))
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 24, "do_lower_case": False}))
    (folder / "1_Pooling").mkdir(exist_ok=True)
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({
        "word_embedding_dimension": 32, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False}, indent=2))

    fast = PreTrainedTokenizerFast(tokenizer_file=str(folder / "tokenizer.json"), pad_token="[PAD]")
    texts = ["A man is eating food.", "the horse, the bread!", "Café unknowns? 北京", "",
             " ".join(["a man is riding the horse"] * 8)]
    batch = fast(texts, padding=True, truncation=True, max_length=24, return_tensors="pt")
    with torch.no_grad():
        hidden = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                       token_type_ids=torch.zeros_like(batch["input_ids"])).last_hidden_state
    emb = mean_pool_normalize(hidden, batch["attention_mask"])
    cases = []
    for i, text in enumerate(texts):
        n = int(batch["attention_mask"][i].sum())
        cases.append({"text": text, "ids": batch["input_ids"][i, :n].tolist(),
                      "hidden": [round(float(v), 7) for v in hidden[i, :n].reshape(-1)],
                      "embedding": [round(float(v), 8) for v in emb[i]]})
    (folder / "reference.json").write_text(json.dumps({"max_length": 24, "cases": cases}, ensure_ascii=False))
    print("tiny: vocab", len(vocab), "params", sum(p.numel() for p in model.parameters()))


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    dump_tiny()
    dump_real()
