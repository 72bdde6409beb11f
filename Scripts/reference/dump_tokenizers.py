"""Reference outputs for LoomTokenizers (Tests/Fixtures/tokenizers/*.json).

- SmolLM2's tokenizer from its GGUF as transformers loads it (AutoTokenizer, gguf_file=...):
  ids for tricky strings, decoded text, and chat templates rendered by apply_chat_template.
- Whisper's tokenizer.json (whisper-tiny.en, whisper-base) through tokenizers.Tokenizer.
- Whisper special ids and non_speech_tokens from openai-whisper's own (tiktoken) tokenizer.

Run: LOOM_HOME=/tmp/loomhome .venv-ref/bin/python Scripts/reference/dump_tokenizers.py
"""
import json
import os
import sys

from tokenizers import Tokenizer
from transformers import AutoTokenizer
import whisper.tokenizer as wt

HOME = os.environ.get("LOOM_HOME", "/tmp/loomhome")
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures", "tokenizers")

TEXTS = [
    "Hello, world! This is a test.",
    "   leading spaces and trailing   ",
    "line one\nline two\n\n\nthree\r\nfour\t\ttabs \n \n",
    "12345 3.14 1,000,000 2024-01-31 x2 ٣٤٥ ²",
    "don't I'll we've they're she'd it's DON'T I'M 'quoted' ''' 'sup",
    "emoji 😀👍🏽 family 👨‍👩‍👧 flags 🇫🇷",
    "中文分词测试，日本語のテキスト、한국어 텍스트",
    "café naïve résumé Ωμέγα Привет мир",
    "def f(x):\n\treturn x ** 2  # square\n\n\tif x:\n\t\tpass",
    "<|im_start|>user\nHi<|im_end|>\n<|endoftext|> text <|endoftext|>",
    "<|startoftranscript|><|en|><|transcribe|> hello<|notimestamps|>",
    "",
    " ",
    "\n",
    "a",
    "exotic\u00a0nbsp\u3000ideographic\u2009thin\u200bzw space",
    "MiXeD CaSe WORDS and ALLCAPS",
    "!!! ??? ... --- *** ((( ))) [[[ ]]] {{ }}",
    "URL https://example.com/path?q=1&b=two#frag email a.b@c.org",
    "♪♪ music ♩ ♫ ♬ notes",
]

# Single ids that end inside a UTF-8 character, to check lossy decoding of partial sequences.
PARTIAL_TEXTS = ["😀", "中文", "é"]


def case_list(encode, decode, decode_skip):
    cases = []
    for text in TEXTS:
        ids = encode(text)
        cases.append({"text": text, "ids": ids, "decoded": decode(ids), "decoded_skip_special": decode_skip(ids)})
    partial = []
    for text in PARTIAL_TEXTS:
        ids = encode(text)
        for i in range(len(ids)):
            partial.append({"ids": ids[: i + 1], "decoded": decode(ids[: i + 1])})
    return cases, partial


def smollm():
    folder = os.path.join(HOME, "models", "smollm2-135m-instruct")
    tok = AutoTokenizer.from_pretrained(folder, gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf")
    cases, partial = case_list(
        lambda t: tok.encode(t, add_special_tokens=True),
        lambda ids: tok.decode(ids, skip_special_tokens=False),
        lambda ids: tok.decode(ids, skip_special_tokens=True),
    )
    conversations = [
        [{"role": "user", "content": "What is the capital of France?"}],
        [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"}],
        [
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Hi! How can I help?"},
            {"role": "user", "content": "Tell me a joke.\nA short one."},
        ],
        [{"role": "system", "content": "  spaces kept  "}, {"role": "user", "content": ""}],
    ]
    # transformers' GGUF loader gives a "smollm" vocabulary GPT-2's regex alone; llama.cpp (and
    # SmolLM2's own tokenizer.json) first isolate every digit. Loom follows llama.cpp, so the
    # fixture also holds the ids with SmolLM2's original pre-tokenizer.
    from tokenizers import pre_tokenizers as pt
    tok.backend_tokenizer.pre_tokenizer = pt.Sequence(
        [pt.Digits(individual_digits=True), pt.ByteLevel(add_prefix_space=False, use_regex=True)])
    for case in cases:
        case["ids_digits_split"] = tok.encode(case["text"], add_special_tokens=True)
    templates = []
    for messages in conversations:
        for generation in (False, True):
            text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation)
            templates.append({"messages": messages, "add_generation_prompt": generation, "rendered": text})
    return {
        "source": "transformers AutoTokenizer.from_pretrained(gguf_file=SmolLM2-135M-Instruct.Q4_1.gguf)",
        "vocab_size": len(tok),
        "bos_token_id": tok.bos_token_id,
        "eos_token_id": tok.eos_token_id,
        "special_ids": sorted(tok.all_special_ids),
        "cases": cases,
        "partial": partial,
        "templates": templates,
    }


def whisper_json(name, multilingual):
    tok = Tokenizer.from_file(os.path.join(HOME, "models", name, "tokenizer.json"))
    cases, partial = case_list(
        lambda t: tok.encode(t, add_special_tokens=False).ids,
        lambda ids: tok.decode(ids, skip_special_tokens=False),
        lambda ids: tok.decode(ids, skip_special_tokens=True),
    )
    with_specials = [{"text": t, "ids": tok.encode(t, add_special_tokens=True).ids} for t in TEXTS[:3]]
    ref = wt.get_tokenizer(multilingual=multilingual)
    special_names = ["<|endoftext|>", "<|startoftranscript|>", "<|translate|>", "<|transcribe|>",
                     "<|startoflm|>", "<|startofprev|>", "<|nospeech|>", "<|notimestamps|>", "<|0.00|>", "<|30.00|>"]
    specials = {s: ref.encoding.encode_single_token(s) for s in special_names if s in ref.special_tokens}
    languages = {code: ref.encoding.encode_single_token(f"<|{code}|>")
                 for code in list(wt.LANGUAGES)[: ref.num_languages] if f"<|{code}|>" in ref.special_tokens}
    return {
        "source": f"tokenizers.Tokenizer.from_file({name}/tokenizer.json); specials from openai-whisper "
                  f"get_tokenizer(multilingual={multilingual})",
        "cases": cases,
        "partial": partial,
        "with_special_tokens": with_specials,
        "openai_whisper": {
            "specials": specials,
            "languages": languages if multilingual else {"en": ref.encoding.encode_single_token("<|en|>")},
            "timestamp_begin": ref.timestamp_begin,
            "non_speech_tokens": list(ref.non_speech_tokens),
        },
    }


def pretokenize():
    """Pieces each pre-tokenizer regex cuts TEXTS into, by tokenizers' own Split (Oniguruma)."""
    from tokenizers import Regex, pre_tokenizers as pt
    from transformers.integrations.gguf.gguf_tokenizer_mapping import _LLAMA3_SPLIT

    gpt2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
    steps = {
        "gpt2": pt.Split(Regex(gpt2), behavior="isolated"),
        "llama3": pt.Split(Regex(_LLAMA3_SPLIT), behavior="isolated"),
        "smollm": pt.Sequence([pt.Digits(individual_digits=True), pt.Split(Regex(gpt2), behavior="isolated")]),
    }
    texts = TEXTS + ["x\n\n  \t\ny", "A1234567 \u0663\u0664 ab12cd", "it'S 'LL 'Re \u017fs 'ſ x'ſ x'LL x'RE x'Ve", "a  \n\r\n  b", " \t!? \r\n"]
    return {
        "patterns": {"gpt2": gpt2, "llama3": _LLAMA3_SPLIT},
        "cases": [{"text": t, **{name: [p for p, _ in step.pre_tokenize_str(t)] for name, step in steps.items()}}
                  for t in texts],
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    outputs = {
        "pretokenize.json": pretokenize(),
        "smollm2.json": smollm(),
        "whisper-tiny.en.json": whisper_json("whisper-tiny.en", False),
        "whisper-base.json": whisper_json("whisper-base", True),
    }
    for name, value in outputs.items():
        with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
            json.dump(value, f, ensure_ascii=False, indent=1)
            f.write("\n")
        print(name, "written", file=sys.stderr)


if __name__ == "__main__":
    main()
