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
    # Start-of-transcript sequences and timestamp-annotated decoding, as openai-whisper builds them.
    settings = [(None, None)] if not multilingual else [("en", "transcribe"), ("de", "translate"), ("ja", "transcribe")]
    sequences = []
    for language, task in settings:
        r = wt.get_tokenizer(multilingual=multilingual, language=language, task=task)
        sequences.append({"language": language, "task": task, "sot_sequence": list(r.sot_sequence),
                          "including_notimestamps": list(r.sot_sequence_including_notimestamps)})
    hello = ref.encode(" Hello world.")
    timed = [ref.sot, ref.timestamp_begin] + hello + [ref.timestamp_begin + 54, ref.timestamp_begin + 1500, ref.eot]
    with_timestamps = {"ids": timed, "decoded": ref.decode_with_timestamps(timed), "decoded_text": ref.decode(timed)}
    return {
        "sot_sequences": sequences,
        "with_timestamps": with_timestamps,
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


# Meta-Llama-3-8B-Instruct's tokenizer_config.json chat_template.
LLAMA3_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' "
    "+ message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
    "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)

# Exercises whitespace control (trim_blocks, lstrip_blocks, '-'), elif, set, loop variables, filters,
# tests, slices, 'in', '~', methods, dict literals and conditional expressions.
FEATURES_TEMPLATE = """{#- a comment -#}
{%- if messages[0]['role'] == 'system' %}
    {%- set system = messages[0]['content'] | trim %}
    {%- set rest = messages[1:] %}
{%- else %}
    {%- set system = 'default system' %}
    {%- set rest = messages %}
{%- endif %}
[{{ system | upper }}] ({{ rest | length }} turns)
{% for m in rest %}
  {% if m.role == 'user' %}
U{{ loop.index }}/{{ loop.length }}: {{ m['content'].strip() ~ '!' }}{% if loop.last %} (last){% endif %}
  {% elif m.role in ['assistant', 'model'] %}
A{{ loop.index0 }}: {{ m.content | capitalize }}{{ ' first' if loop.first else '' }}
  {% else %}
?: {{ m.role ~ 1 }}
  {% endif %}
{% endfor %}
{%- set info = {'n': rest | length, 'tag': 'x'} -%}
{{ info['n'] * 2 }} {{ 7 // 2 }} {{ 7 % 3 }} {{ 'abc'[1] }} {{ 'abcdef'[-3:] }} {{ none }} {{ undefined_thing }}|
{{- ' yes' if extra_flag is defined and extra_flag else ' no' }} {{ not false and (1 < 2) }} {{ [1, 2] | join('-') }}
{%- if add_generation_prompt %}
<gen>{{ bos_token ~ eos_token }}
{%- endif %}
"""

# Messages whose content is a list of parts, as SmolVLM's processor passes them.
VISION_CONVERSATIONS = [
    [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What is in this image?"}]}],
    [
        {"role": "user", "content": [{"type": "text", "text": "Describe:"}, {"type": "image"}]},
        {"role": "assistant", "content": [{"type": "text", "text": " A cat."}]},
        {"role": "user", "content": "Plain string content."},
    ],
]


def templates():
    """Templates rendered by the Jinja environment transformers builds for chat templates."""
    from transformers.utils.chat_template_utils import _compile_jinja_template
    from transformers.models.smolvlm.processing_smolvlm import DEFAULT_CHAT_TEMPLATE as SMOLVLM_TEMPLATE

    text_conversations = [
        [{"role": "user", "content": "  Hello there  "}],
        [{"role": "system", "content": " Be brief. "}, {"role": "user", "content": "Hi"},
         {"role": "assistant", "content": "hello! how can i help?"}, {"role": "user", "content": "A joke."},
         {"role": "tool", "content": "x"}],
    ]
    sources = {"llama3": (LLAMA3_TEMPLATE, text_conversations), "features": (FEATURES_TEMPLATE, text_conversations),
               "smolvlm": (SMOLVLM_TEMPLATE, VISION_CONVERSATIONS)}
    cases = []
    for name, (source, conversations) in sources.items():
        compiled = _compile_jinja_template(source)
        for messages in conversations:
            for generation in (False, True):
                for extra in ({}, {"extra_flag": True}):
                    rendered = compiled.render(messages=messages, add_generation_prompt=generation,
                                               bos_token="<s>", eos_token="</s>", **extra)
                    cases.append({"template": name, "messages": messages, "add_generation_prompt": generation,
                                  "extra_flag": bool(extra), "rendered": rendered})
    return {"sources": {name: source for name, (source, _) in sources.items()}, "cases": cases}


def random_text(seed=7, pieces=3000):
    """Seeded mixed text: English words, contractions, numbers in several scripts, punctuation runs,
    whitespace variants, accents and combining marks, CJK, emoji with modifiers, special tokens."""
    import random

    rng = random.Random(seed)
    words = ("the of and to in is you that it he was for on are as with his they I at be this have from or one "
             "had by word but not what all were we when your can said there use an each which she do how their "
             "if will up other about out many then them these so some her would make like him into time has look "
             "Tokenizer Whisper SmolLM GGUF JSON HTTP iPhone McDonald's naïve café über straße").split()
    ranges = [(0x41, 0x7A), (0xC0, 0x17F), (0x370, 0x3FF), (0x400, 0x4FF), (0x5D0, 0x5EA), (0x600, 0x6FF),
              (0x900, 0x97F), (0xE00, 0xE5B), (0x3040, 0x30FF), (0x4E00, 0x4FFF), (0xAC00, 0xAD00),
              (0x1F300, 0x1F64F), (0x300, 0x36F), (0x2000, 0x206F), (0xFF01, 0xFF5E)]
    spaces = [" ", "  ", "\n", "\n\n", "\t", " \n", "\r\n", "\u00a0", "\u3000", "   \t "]
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|startoftranscript|>", "<|en|>", "<|notimestamps|>"]
    out = []
    for _ in range(pieces):
        r = rng.random()
        if r < 0.45:
            w = rng.choice(words)
            out.append(w.upper() if rng.random() < 0.05 else w)
        elif r < 0.55:
            out.append(rng.choice(["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL", "n't"]))
        elif r < 0.63:
            out.append(str(rng.randint(0, 10 ** rng.randint(1, 9))))
        elif r < 0.66:
            out.append("".join(chr(rng.choice([0x660, 0x966, 0xFF10, 0x2070])+rng.randint(0, 9)) for _ in range(rng.randint(1, 5))))
        elif r < 0.74:
            out.append("".join(rng.choice("!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~") for _ in range(rng.randint(1, 4))))
        elif r < 0.90:
            lo, hi = rng.choice(ranges)
            out.append("".join(chr(rng.randint(lo, hi)) for _ in range(rng.randint(1, 6))))
        elif r < 0.91:
            out.append(rng.choice(specials))
        else:
            out.append(rng.choice(spaces))
        out.append(rng.choice([" ", " ", " ", "", "\n", ", "]))
    return "".join(out)


def random_text_ids():
    """Ids for random_text() from each reference tokenizer (SmolLM2 with digits isolated, see smollm())."""
    from tokenizers import pre_tokenizers as pt

    text = random_text()
    smol = AutoTokenizer.from_pretrained(os.path.join(HOME, "models", "smollm2-135m-instruct"),
                                         gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf")
    smol.backend_tokenizer.pre_tokenizer = pt.Sequence(
        [pt.Digits(individual_digits=True), pt.ByteLevel(add_prefix_space=False, use_regex=True)])
    result = {"text": text, "smollm2": smol.encode(text, add_special_tokens=False)}
    for name in ("whisper-tiny.en", "whisper-base"):
        tok = Tokenizer.from_file(os.path.join(HOME, "models", name, "tokenizer.json"))
        result[name] = tok.encode(text, add_special_tokens=False).ids
    return result


def lossy():
    """Byte strings (valid, truncated and invalid UTF-8) and Python's errors='replace' decoding, which
    replaces maximal invalid subparts as Rust's from_utf8_lossy (tokenizers' ByteLevel decoder) does."""
    import random

    rng = random.Random(1234)
    pieces = ["a", "é", "中", "😀", "\u0800", "\U00010000", "\U0010ffff"]
    cases = [b"\xe0\x80\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xf0\x9f\x98", b"\xc0\xaf", b"\xff\xfe",
             b"\xe4\xb8", b"a\xe4\xb8b", b"\x80\x80", b"\xf8\x88\x80\x80\x80"]
    for _ in range(60):
        data = bytearray()
        for _ in range(rng.randint(1, 6)):
            choice = rng.random()
            if choice < 0.5:
                data += rng.choice(pieces).encode("utf-8")
            elif choice < 0.8:
                encoded = rng.choice(pieces[1:]).encode("utf-8")
                data += encoded[: rng.randint(1, len(encoded) - 1)] if len(encoded) > 1 else encoded
            else:
                data.append(rng.randint(0x80, 0xFF))
        cases.append(bytes(data))
    return {"cases": [{"bytes": list(c), "decoded": c.decode("utf-8", errors="replace")} for c in cases]}


def main():
    os.makedirs(OUT, exist_ok=True)
    outputs = {
        "lossy.json": lossy(),
        "random_text.json": random_text_ids(),
        "templates.json": templates(),
        "pretokenize.json": pretokenize(),
        "smollm2.json": smollm(),
        "whisper-tiny.en.json": whisper_json("whisper-tiny.en", False),
        "whisper-base.json": whisper_json("whisper-base", True),
    }
    for name, value in outputs.items():
        with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
            # Long id lists stay on one line to keep the fixture small.
            json.dump(value, f, ensure_ascii=False, indent=None if name == "random_text.json" else 1)
            f.write("\n")
        print(name, "written", file=sys.stderr)


if __name__ == "__main__":
    main()
