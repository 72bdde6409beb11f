#!/usr/bin/env python3
"""Reference ids for LoomTokenizers' SentencePiece tokenizer and the SigLIP text path (`loom embed --text`).

Real SigLIP folders (google/siglip-*) ship spiece.model, a SentencePiece ModelProto, and transformers reads
it with the slow SiglipTokenizer. No such file exists on our machines, so this trains tiny models with the
pinned sentencepiece wheel on the English text below plus Samples' READMEs, then dumps, per model, the ids
sentencepiece gives for a list of tricky strings, its decoding of those ids, SiglipTokenizer's ids
(canonicalized, "</s>" appended, padded to max_length with "</s>", truncated) and canonicalize_text's output.

Models (Tests/Fixtures/sentencepiece/<name>.model):
  unigram_nfkc     unigram, nmt_nfkc normalization (like SigLIP / T5), vocab 400
  unigram_bytes    unigram, identity normalization, byte_fallback, no dummy prefix, extra spaces kept, vocab 600,
                   user-defined pieces <sep> and [MASK]
  bpe_bytes        BPE, identity normalization, byte_fallback, vocab 600 (256 of them bytes), the same user-defined pieces
  *_unused         copies of the two *_bytes models with every 7th multi-character piece marked UNUSED
  siglip_tiny      unigram nmt_nfkc, vocab 100, trained on canonicalized text: fits the 100-word tiny
                   SigLIP in Tests/Fixtures/siglip/tiny-random; its text embeddings through SiglipModel are dumped
All use T5's special ids: <pad> 0, </s> 1, <unk> 2, no <s>.

Reference: sentencepiece 0.2.1 (src/normalizer.cc, unigram_model.cc, bpe_model.cc, sentencepiece_processor.cc);
transformers 5.24 models/siglip/tokenization_siglip.py (SiglipTokenizer) and modeling_siglip.py.

Writes Tests/Fixtures/sentencepiece/{<name>.model, reference.json}.

Usage (from the repository root):
  python3 -m pip download --no-deps --dest /tmp/spw sentencepiece==0.2.1
  python3 -m pip install --no-deps --target .build/spw /tmp/spw/sentencepiece-0.2.1-*.whl
  PYTHONPATH=.build/spw .venv-ref/bin/python Scripts/reference/dump_sentencepiece.py
"""
import io
import json
import random
import os
import re
import string
import shutil
import tempfile
from pathlib import Path

import sentencepiece as spm
import torch
from transformers import SiglipModel, SiglipTokenizer

assert spm.__version__ == "0.2.1", spm.__version__

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests/Fixtures/sentencepiece"

TEXT = """\
A photo of a cat sitting on a red sofa. A photo of a dog running in the park.
The quick brown fox jumps over the lazy dog. An astronaut floats above the Earth.
Grace Hopper was a computer scientist and a rear admiral in the United States Navy.
A cup of coffee on a wooden table, with steam rising from the hot drink.
A rocket launches into the blue sky, leaving a long trail of white smoke behind it.
We choose to go to the moon in this decade and do the other things, not because they are easy.
And so, my fellow Americans: ask not what your country can do for you, ask what you can do for your country.
The café served crème brûlée and a naïve résumé was left on the counter near the façade.
Numbers like 1, 2, 3, 10, 42, 100, 2024 and 3.14 appear in captions of charts and clocks.
Search for images of mountains, rivers, forests, cities, bridges, trains, boats and birds.
Transcribe the audio, caption the image, and answer questions about the photo.
There are two people walking on the beach at sunset, holding hands.
A black and white photograph of an old building with tall windows.
Children playing football in a green field under a cloudy sky.
A plate of pasta with tomato sauce, basil leaves and grated cheese.
"""

STRINGS = [
    "a photo of a cat", "Hello world", "The quick brown fox jumps over the lazy dog.", "", " ", "   ",
    "  leading spaces", "trailing spaces   ", "multiple    spaces   inside", "tab\tand\nnewline\r\nend",
    "Ｆｕｌｌ－ｗｉｄｔｈ ＡＢＣ １２３", "ｈｅｌｌｏ　ｗｏｒｌｄ", "ｶﾀｶﾅ half-width", "café naïve résumé",
    "combining e\u0301 and a\u0308", "ﬁ ligature ﬀ", "Ⅻ roman numeral ①", "emoji 😀 🚀 test 👍🏽",
    "unknown ☃ ♞ ∑ ⊗", "日本語のテキスト", "Привет мир", "ÀÉÎÕÜ ñ ç ß straße", "İstanbul",
    "digits 1234567890", "3.14159 and 2,718", "Ω ohm sign Ω", "non-breaking\u00a0space", "zero\u200bwidth",
    "mixed CASE Words", "hyphen-ated and under_scored", "quotes \"double\" 'single'", "Punctuation!!! ??? ...",
    "email@example.com http://x.y/z", "$100 & 50% off #deal", "▁ literal underline ▁▁", "</s> inside text",
    "<unk> literal and <pad>", "x", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "\u3000ideographic\u3000space\u3000",
    " ".join(["word"] * 80), "a <sep> b [MASK]c", "<sep><sep>  [MASK] photo", "ΟΔΟΣ ΣΑ ΑΣ. Σ", "ǅ ẞ İI",
    "a</s>b</s>", "x <unk>y </s>", "\u2028line\u2029sep\x1c\x85end\u202f",
]


def fuzz_strings(count, seed=5):
    """Seeded mixtures of corpus words, case changes, punctuation, odd spaces and non-Latin characters."""
    rng = random.Random(seed)
    words = TEXT.split()
    extras = ["é", "ß", "Ｗ", "１", "😀", "☃", "日本", "ﬁ", "\u00a0", "\u3000", "  ", "\t", "...", "-", "'", "▁", "</s>", "<unk>"]
    strings = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 14)):
            word = rng.choice(words)
            word = rng.choice([word, word.upper(), word.lower(), word.capitalize()])
            if rng.random() < 0.25:
                word += rng.choice(extras)
            parts.append(word)
        strings.append(rng.choice([" ", " ", "  ", ""]).join(parts) + rng.choice(["", " ", ".", "!"]))
    return strings


STRINGS += fuzz_strings(60)

# User-defined pieces (kept whole, never normalized) in the *_bytes models.
USER_DEFINED = ["<sep>", "[MASK]"]


def train(name, **options):
    model = io.BytesIO()
    # A relative input path: trainer_spec.input is stored in the model, so the bytes do not depend on the temp dir.
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "corpus.txt").write_text(options.pop("text"))
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            spm.SentencePieceTrainer.train(
                input="corpus.txt", model_writer=model, pad_id=0, eos_id=1, unk_id=2, bos_id=-1,
                character_coverage=1.0, num_threads=1, minloglevel=2, **options)
        finally:
            os.chdir(cwd)
    path = OUT / f"{name}.model"
    path.write_bytes(model.getvalue())
    return path


def with_unused_pieces(path, name):
    """A copy of a model with every 7th multi-character normal piece marked UNUSED (never emitted; BPE splits
    them back into the pieces they were merged from)."""
    from sentencepiece import sentencepiece_model_pb2 as model_pb2
    proto = model_pb2.ModelProto.FromString(path.read_bytes())
    normal = [p for p in proto.pieces if p.type == model_pb2.ModelProto.SentencePiece.NORMAL and len(p.piece) > 1]
    for piece in normal[::7]:
        piece.type = model_pb2.ModelProto.SentencePiece.UNUSED
    out = OUT / f"{name}.model"
    out.write_bytes(proto.SerializeToString())
    return out


def sentencepiece_cases(path):
    processor = spm.SentencePieceProcessor(model_file=str(path))
    cases = []
    for text in STRINGS:
        ids = processor.encode(text)
        cases.append({"text": text, "ids": ids, "pieces": processor.encode(text, out_type=str),
                      "decoded": processor.decode(ids)})
    return processor, cases


def crafted_decodes(processor):
    """Decoding of hand-made id lists: control/unknown ids, and byte pieces that do not form UTF-8."""
    lists = [[0, 1, 2], [2, 2, 5, 1, 7]]
    byte = [processor.piece_to_id(f"<0x{b:02X}>") for b in (0xE2, 0x82, 0xAC, 0x80, 0x41, 0xFF)]
    if all(i != processor.unk_id() for i in byte):
        lists += [byte[:3], byte[3:], [byte[0], 10, byte[1], byte[2]], byte[:2] + [byte[4]]]
    return [{"ids": ids, "decoded": processor.decode(ids)} for ids in lists]


def siglip_cases(path, max_length):
    tokenizer = SiglipTokenizer(vocab_file=str(path), model_max_length=max_length)
    return [{"text": text, "ids": tokenizer(text, padding="max_length", truncation=True, max_length=max_length)["input_ids"]}
            for text in STRINGS]


def canonical(text):
    """SiglipTokenizer.canonicalize_text per line (lowercase, ASCII punctuation removed, whitespace runs to one space)."""
    return "\n".join(re.sub(r"\s+", " ", line.lower().translate(str.maketrans("", "", string.punctuation))).strip()
                     for line in text.splitlines())


def main():
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    corpus = TEXT + (ROOT / "Samples/audio/README.md").read_text() + (ROOT / "Samples/images/README.md").read_text()
    models = {
        "unigram_nfkc": train("unigram_nfkc", text=corpus, model_type="unigram", vocab_size=400,
                              normalization_rule_name="nmt_nfkc"),
        "unigram_bytes": train("unigram_bytes", text=corpus, model_type="unigram", vocab_size=600,
                               normalization_rule_name="identity", byte_fallback=True, add_dummy_prefix=False,
                               remove_extra_whitespaces=False, user_defined_symbols=USER_DEFINED),
        "bpe_bytes": train("bpe_bytes", text=corpus, model_type="bpe", vocab_size=600,
                           normalization_rule_name="identity", byte_fallback=True, user_defined_symbols=USER_DEFINED),
        "siglip_tiny": train("siglip_tiny", text=canonical(TEXT), model_type="unigram", vocab_size=100,
                             normalization_rule_name="nmt_nfkc", hard_vocab_limit=False),
    }
    canonicalizer = SiglipTokenizer(vocab_file=str(models["unigram_nfkc"]))
    models["unigram_bytes_unused"] = with_unused_pieces(models["unigram_bytes"], "unigram_bytes_unused")
    models["bpe_bytes_unused"] = with_unused_pieces(models["bpe_bytes"], "bpe_bytes_unused")
    reference = {"strings": STRINGS, "canonical": [canonicalizer.canonicalize_text(text) for text in STRINGS], "models": {}}
    for name, path in models.items():
        processor, cases = sentencepiece_cases(path)
        entry = {"file": path.name, "vocab_size": processor.get_piece_size(), "sentencepiece": cases,
                 "decode": crafted_decodes(processor), "siglip_max_length": 64,
                 "siglip": [] if name.endswith("_unused") else siglip_cases(path, 64)}
        reference["models"][name] = entry

    # The tiny SigLIP (vocab 100, 16 positions) with siglip_tiny.model: text embeddings as transformers computes them.
    tiny = reference["models"]["siglip_tiny"]
    assert tiny["vocab_size"] <= 100, tiny["vocab_size"]
    model = SiglipModel.from_pretrained(ROOT / "Tests/Fixtures/siglip/tiny-random").eval()
    positions = model.config.text_config.max_position_embeddings
    tiny["siglip16"] = siglip_cases(models["siglip_tiny"], positions)
    with torch.no_grad():
        for case in tiny["siglip16"]:
            pooled = model.get_text_features(input_ids=torch.tensor([case["ids"]]))
            pooled = getattr(pooled, "pooler_output", pooled)
            case["text_embeds"] = (pooled / pooled.norm(dim=-1, keepdim=True))[0].tolist()
    (OUT / "reference.json").write_text(json.dumps(reference, ensure_ascii=False, separators=(",", ":")) + "\n")
    print({name: entry["vocab_size"] for name, entry in reference["models"].items()})


if __name__ == "__main__":
    main()
