"""Reference values for Loom's Whisper decoding tests (Tests/LoomTasksTests/Decoding*.swift, Transcribe*.swift).

Runs openai-whisper's own code (whisper/decoding.py and whisper/transcribe.py,
https://github.com/openai/whisper/blob/main/whisper/) without model weights:

- specials.json: special token ids of the English-only and multilingual tokenizers, their
  non-speech tokens, and what `DecodingTask.__init__` derives for several option sets
  (initial tokens, sample_begin, sot_index, suppress tokens, max initial timestamp index).
- filters.json: the `-inf` masks that DecodingTask's logit filters (SuppressBlank, SuppressTokens,
  ApplyTimestampRules, in its order) leave on deterministic logits for fixed token histories.
  The logits come from an integer hash both sides compute exactly (`base_logits`), plus boosts.
- transcribe.json: the real `transcribe()` loop driven by a fake model whose `decode` returns
  scripted `DecodingResult`s: records each decode call's temperature / prompt / language / task
  and the returned transcript (segments, seek, fallback, silence skipping, prompt resets).
- compression.json: `whisper.utils.compression_ratio` (zlib level 6) of sample strings.
- decode.json: the real `whisper.decoding.decode()` (DecodingTask.run, detect_language) over a fake
  decoder whose logits are `base_logits` noise plus a boost on each window's scripted next token, so
  tokens, avg_logprob, no_speech_prob, text, compression ratio and detected language can be compared.
- xoshiro.json: first outputs of the sampler's xoshiro256** generator, from the published algorithm.

Usage: .venv-ref/bin/python Scripts/reference/dump_decoding.py Tests/Fixtures/decoding
"""
import json
import os
import sys
from types import SimpleNamespace

import numpy as np
import torch

import whisper
from whisper.decoding import DecodingOptions, DecodingResult, DecodingTask
from whisper.tokenizer import get_tokenizer
from whisper.utils import compression_ratio


def base_logits(n_vocab: int, seed: int) -> np.ndarray:
    """Deterministic logits in [-4, 4): exact integer hash, exact float64 scaling, one float32 rounding."""
    i = np.arange(n_vocab, dtype=np.uint64)
    x = (i * np.uint64(2654435761) + np.uint64(seed * 40503 + 12345)) % np.uint64(2**32)
    return (x.astype(np.float64) / 2**32 * 8 - 4).astype(np.float32)


def neg_inf_ranges(row: np.ndarray) -> list:
    """[start, end) runs of -inf entries."""
    mask = np.isneginf(row)
    ranges, start = [], None
    for i, m in enumerate(mask.tolist() + [False]):
        if m and start is None:
            start = i
        elif not m and start is not None:
            ranges.append([start, i])
            start = None
    return ranges


def fake_model(multilingual: bool):
    """What DecodingTask.__init__ reads from a Whisper model."""
    return SimpleNamespace(
        is_multilingual=multilingual,
        num_languages=99,
        dims=SimpleNamespace(n_text_ctx=448, n_audio_ctx=1500, n_mels=80),
        decoder=SimpleNamespace(blocks=[]),
    )


def specials(tok) -> dict:
    return {
        "sot": tok.sot, "eot": tok.eot, "transcribe": tok.transcribe, "translate": tok.translate,
        "no_timestamps": tok.no_timestamps, "no_speech": tok.no_speech, "sot_prev": tok.sot_prev,
        "sot_lm": tok.sot_lm, "timestamp_begin": tok.timestamp_begin,
        "language_tokens": dict(sorted(zip(tok.all_language_codes, tok.all_language_tokens), key=lambda p: p[1])),
        "non_speech_tokens": list(tok.non_speech_tokens), "blank_tokens": tok.encode(" "),
        "n_vocab": tok.encoding.n_vocab,
        "non_speech_encodings": non_speech_encodings(tok),
    }


def non_speech_encodings(tok) -> dict:
    """`encoding.encode` of every string `Tokenizer.non_speech_tokens` looks at (the symbols, with and
    without a leading space, and " -", " '"), so the selection logic can be checked apart from BPE."""
    symbols = list('"#()*+/:;<=>@[\\]^_`{|}~「」『』')
    symbols += "<< >> <<< >>> -- --- -( -[ (' (\" (( )) ((( ))) [[ ]] {{ }} ♪♪ ♪♪♪".split()
    symbols += list("♩♪♫♬♭♮♯")
    strings = [" -", " '"] + symbols + [" " + s for s in symbols]
    return {s: tok.encoding.encode(s) for s in strings}


OPTION_SETS = [
    ("english_default", False, dict()),
    ("english_without_timestamps", False, dict(without_timestamps=True)),
    ("english_prompt", False, dict(prompt=list(range(1000, 1300)))),
    ("english_no_suppress", False, dict(suppress_tokens="", suppress_blank=False, max_initial_timestamp=None)),
    ("english_explicit_suppress", False, dict(suppress_tokens="11,13,-1")),
    ("english_list_suppress", False, dict(suppress_tokens=[11, 13])),
    ("multilingual_de_translate", True, dict(language="de", task="translate")),
    ("multilingual_prompt_notimestamps", True, dict(language="fr", prompt=[400, 401, 402], without_timestamps=True)),
]


def options_for(kwargs):
    return DecodingOptions(fp16=False, **kwargs)


def dump_specials(out):
    en, ml = get_tokenizer(multilingual=False), get_tokenizer(multilingual=True, num_languages=99)
    tasks = []
    for name, multilingual, kwargs in OPTION_SETS:
        task = DecodingTask(fake_model(multilingual), options_for(kwargs))
        filters = [type(f).__name__ for f in task.logit_filters]
        timestamp_rules = [f for f in task.logit_filters if type(f).__name__ == "ApplyTimestampRules"]
        tasks.append({
            "name": name, "multilingual": multilingual,
            "options": {k: v for k, v in kwargs.items()},
            "initial_tokens": list(task.initial_tokens), "sample_begin": task.sample_begin,
            "sot_index": task.sot_index, "sample_len": task.sample_len,
            "suppress_tokens": list(task._get_suppress_tokens()) if task.options.suppress_tokens else [],
            "filters": filters,
            "max_initial_timestamp_index": timestamp_rules[0].max_initial_timestamp_index if timestamp_rules else None,
        })
    return {"english": specials(en), "multilingual": specials(ml), "tasks": tasks}


FILTER_CASES = [
    # name, option set, sampled tokens after the initial tokens (ts(n) = timestamp n), seed, boosts
    ("start", "english_default", [], 1, []),
    ("start_no_max_initial", "english_no_suppress", [], 2, []),
    ("start_blank_favoured", "english_default", [], 3, [(220, 30.0), (50256, 29.0)]),
    ("after_initial_timestamp", "english_default", ["ts5"], 4, []),
    ("after_text_token", "english_default", ["ts5", 400], 5, []),
    ("after_text_timestamps_heavy", "english_default", ["ts5", 400], 6, [("timestamps", 4.0)]),
    ("after_text_one_text_strong", "english_default", ["ts5", 400], 7, [("timestamps", 4.0), (1000, 25.0)]),
    ("after_text_timestamps_weak", "english_default", ["ts5", 400], 19, [("timestamps", -6.0)]),
    ("after_text_near_tie_above", "english_default", ["ts5", 400], 20, [("timestamps", -5.15)]),
    ("after_text_near_tie_below", "english_default", ["ts5", 400], 20, [("timestamps", -5.3)]),
    ("after_closing_timestamp", "english_default", ["ts5", 400, 500, "ts30"], 8, []),
    ("after_timestamp_pair", "english_default", ["ts5", 400, "ts30", "ts30"], 9, []),
    ("after_pair_then_text", "english_default", ["ts5", 400, "ts30", "ts30", 600], 10, []),
    ("prompted_start", "english_prompt", [], 11, []),
    ("prompted_after_text", "english_prompt", ["ts0", 700, 800], 12, [("timestamps", 3.0)]),
    ("without_timestamps_start", "english_without_timestamps", [], 13, []),
    ("without_timestamps_later", "english_without_timestamps", [400, 401], 14, []),
    ("explicit_suppress", "english_explicit_suppress", ["ts0", 400], 15, []),
    ("multilingual_start", "multilingual_de_translate", [], 16, []),
    ("multilingual_after_text", "multilingual_de_translate", ["ts10", 400, 401], 17, []),
    ("multilingual_closing", "multilingual_de_translate", ["ts10", 400, 401, "ts90"], 18, [("timestamps", 2.0)]),
]


def dump_filters():
    sets = {name: (multilingual, kwargs) for name, multilingual, kwargs in OPTION_SETS}
    cases = []
    for name, option_set, history, seed, boosts in FILTER_CASES:
        multilingual, kwargs = sets[option_set]
        task = DecodingTask(fake_model(multilingual), options_for(kwargs))
        tb = task.tokenizer.timestamp_begin
        sampled = [tb + int(t[2:]) if isinstance(t, str) else t for t in history]
        tokens = torch.tensor([list(task.initial_tokens) + sampled])
        n_vocab = task.tokenizer.encoding.n_vocab
        logits = base_logits(n_vocab, seed)
        for where, value in boosts:
            if where == "timestamps":
                logits[tb:] += np.float32(value)
            else:
                logits[where] += np.float32(value)
        boosted = logits.copy()
        t = torch.from_numpy(logits.copy())[None, :]
        for f in task.logit_filters:
            f.apply(t, tokens)
        row = t[0].numpy()
        finite = ~np.isneginf(row)
        assert np.array_equal(row[finite], boosted[finite]), "filters only write -inf"
        cases.append({
            "name": name, "option_set": option_set, "multilingual": multilingual,
            "tokens": tokens[0].tolist(), "seed": seed,
            "boosts": [["timestamps" if w == "timestamps" else int(w), v] for w, v in boosts],
            "n_vocab": n_vocab, "neg_inf_ranges": neg_inf_ranges(row), "argmax": int(row.argmax()),
        })
    return cases


class ScriptedModel:
    """Stands in for whisper.model.Whisper inside transcribe(): `decode` replays scripted results."""

    def __init__(self, multilingual, script, language_probs=None):
        self.device = torch.device("cpu")
        self.dims = SimpleNamespace(n_mels=80, n_audio_ctx=1500, n_text_ctx=448)
        self.is_multilingual = multilingual
        self.num_languages = 99
        self.script = list(script)
        self.language_probs = language_probs
        self.calls = []
        self.detect_calls = 0

    def detect_language(self, mel_segment):
        assert tuple(mel_segment.shape) == (80, 3000)
        self.detect_calls += 1
        return None, dict(self.language_probs)

    def decode(self, segment, options):
        assert tuple(segment.shape) == (80, 3000)
        step = self.script.pop(0)
        self.calls.append({
            "temperature": options.temperature, "prompt": list(options.prompt or []),
            "language": options.language, "task": options.task,
        })
        return DecodingResult(
            audio_features=None, language=options.language, tokens=step["tokens"], text="",
            avg_logprob=step["avg_logprob"], no_speech_prob=step["no_speech_prob"],
            temperature=options.temperature, compression_ratio=step["compression_ratio"],
        )


def step(tokens, avg_logprob=-0.3, no_speech_prob=0.05, compression_ratio=1.5):
    return {"tokens": tokens, "avg_logprob": avg_logprob, "no_speech_prob": no_speech_prob,
            "compression_ratio": compression_ratio}


def dump_transcribe():
    en = get_tokenizer(multilingual=False)
    ml = get_tokenizer(multilingual=True, num_languages=99)
    words = {w: en.encode(w) for w in [" And so", " my fellow Americans,", " ask not", " what your country",
                                        " can do for you.", " Ask what you can do", " for your country.", " Yes"]}
    de = ml.encode(" Guten Morgen, wie geht es?")
    ts = lambda tok, n: tok.timestamp_begin + n  # noqa: E731
    e = lambda n: ts(en, n)  # noqa: E731

    scenarios = []

    # A: 75 s; pairs + unfinished tail, fallback over temperatures, silence skip, high-temperature reset.
    a_script = [
        step([e(0)] + words[" And so"] + [e(100), e(100)] + words[" my fellow Americans,"] + [e(250), e(250)]
             + words[" ask not"]),
        step(words[" what your country"] * 6, compression_ratio=3.1),
        step([e(0)] + words[" what your country"], avg_logprob=-1.5),
        step([e(0)] + words[" what your country"] + [e(50), e(50)] + words[" can do for you."] + [e(300)],
             avg_logprob=-0.8),
        step([e(0)] + words[" Yes"] + [e(40)], avg_logprob=-1.2, no_speech_prob=0.9),
    ] + [step([e(0)] + words[" Ask what you can do"] + [e(40)], compression_ratio=2.5 + 0.1 * k) for k in range(6)]
    scenarios.append(("fallback_and_silence", False, 75.0, {}, a_script, None))

    # B: 95 s with an initial prompt; ends on a pair, a zero-length segment, a tail without timestamps.
    b_script = [
        step([e(0)] + words[" And so"] + [e(120), e(120)] + words[" my fellow Americans,"] + [e(400), e(400)]),
        step([e(10)] + words[" ask not"] + [e(10), e(20)] + words[" what your country"] + [e(60)]),
        step([e(0)] + words[" can do for you."], avg_logprob=-1.1),
        step([e(0)] + words[" can do for you."], avg_logprob=-1.05),
        step([e(0)] + words[" can do for you."], avg_logprob=-1.01),
        step([e(0)] + words[" can do for you."], avg_logprob=-0.9),
        step([e(0)] + words[" for your country."] + [e(150), e(150)] + words[" Yes"] + [e(200)]),
    ]
    scenarios.append(("initial_prompt", False, 95.0, {"initial_prompt": "Loom, Whisper."}, b_script, None))

    # C: 5 s, nothing decoded; high no-speech probability but a confident empty result is kept.
    c_script = [step([], avg_logprob=-0.5, no_speech_prob=0.8, compression_ratio=0.0)]
    scenarios.append(("empty_window", False, 5.0, {}, c_script, None))

    # D: multilingual, language detected, translate, no conditioning on previous text.
    m = lambda n: ts(ml, n)  # noqa: E731
    d_script = [step([m(0)] + de + [m(150), m(150)] + de + [m(700), m(700)] + de),
                step([m(0)] + de + [m(900)])]
    scenarios.append(("multilingual_translate", True, 40.0,
                      {"task": "translate", "condition_on_previous_text": False},
                      d_script, {"en": 0.15, "de": 0.8, "fr": 0.05}))

    out, used = [], set()
    for name, multilingual, seconds, kwargs, script, probs in scenarios:
        model = ScriptedModel(multilingual, script, probs)
        audio = np.zeros(int(seconds * 16000), dtype=np.float32)
        result = whisper.transcribe(model, audio, verbose=None, **kwargs)
        assert not model.script, f"{name}: unused scripted results"
        if not multilingual:
            for s in script:
                used.update(t for t in s["tokens"] if t < en.eot)
            for c in model.calls:
                used.update(t for t in c["prompt"] if t < en.eot)
        prompt_tokens = en.encode(" " + kwargs["initial_prompt"].strip()) if "initial_prompt" in kwargs else []
        out.append({
            "name": name, "multilingual": multilingual, "samples": len(audio),
            "options": {k: v for k, v in kwargs.items() if k != "initial_prompt"},
            "initial_prompt": kwargs.get("initial_prompt"), "initial_prompt_tokens": prompt_tokens,
            "script": script, "calls": model.calls, "language_probs": probs,
            "detect_calls": model.detect_calls, "result": result,
        })
        used.update(prompt_tokens)
    vocabulary = {str(t): en.encoding.decode_single_token_bytes(t).hex() for t in sorted(used)}
    # The multilingual and English tokenizers disagree on ids above the shared byte-level range; keep apart.
    ml_vocab = {str(t): ml.encoding.decode_single_token_bytes(t).hex() for t in sorted(set(de))}
    return {"scenarios": out, "english_token_bytes": vocabulary, "multilingual_token_bytes": ml_vocab}


class HashNoiseDecoder:
    """Logits for a context: base_logits(seed = 7 * window + len(context)), `<|nospeech|>` set to the
    window's value, and `boost` added to the scripted next token (`eot` after the script)."""

    def __init__(self, model):
        self.model = model
        self.blocks = []
        self.sequences = None

    def row(self, context):
        m = self.model
        row = base_logits(m.n_vocab, 7 * m.window["seed"] + len(context)).copy()
        if m.tokenizer.no_speech is not None:
            row[m.tokenizer.no_speech] = np.float32(m.window["no_speech_logit"])
        sampled = len(context) - self.sample_begin
        if sampled >= 0:
            script = m.window["tokens"]
            target = script[sampled] if sampled < len(script) else m.tokenizer.eot
            row[target] += np.float32(m.window["boost"])
        return row

    def __call__(self, tokens, audio_features, kv_cache=None):
        if self.sequences is None:
            self.sequences = [[] for _ in range(tokens.shape[0])]
            self.sample_begin = tokens.shape[1]
        out = []
        for k in range(tokens.shape[0]):
            before = len(self.sequences[k])
            self.sequences[k] += tokens[k].tolist()
            out.append(np.stack([self.row(self.sequences[k][: before + p + 1]) for p in range(tokens.shape[1])]))
        return torch.from_numpy(np.stack(out))


class HashNoiseModel:
    """Enough of whisper.model.Whisper for DecodingTask.run and detect_language."""

    def __init__(self, multilingual, window, language_boost=None):
        self.dims = SimpleNamespace(n_mels=80, n_audio_ctx=1500, n_text_ctx=448, n_audio_state=8)
        self.is_multilingual = multilingual
        self.num_languages = 99
        self.tokenizer = get_tokenizer(multilingual=multilingual, num_languages=99)
        self.n_vocab = self.tokenizer.encoding.n_vocab
        self.window = window
        self.language_boost = language_boost
        self.decoder = HashNoiseDecoder(self)

    def encoder(self, mel):
        self.decoder.sequences = None  # a new DecodingTask.run
        return torch.zeros(mel.shape[0], 1500, 8)

    def install_kv_cache_hooks(self):
        return {}, []

    def logits(self, tokens, audio_features):  # detect_language's single step on [sot]
        row = base_logits(self.n_vocab, 7 * self.window["seed"] + 1).copy()
        code, boost = self.language_boost
        row[self.tokenizer.to_language_token(code)] += np.float32(boost)
        return torch.from_numpy(np.stack([row[None, :]] * tokens.shape[0]))

    def detect_language(self, mel, tokenizer=None):
        return whisper.decoding.detect_language(self, mel, tokenizer)


def dump_decode():
    en = get_tokenizer(multilingual=False)
    ml = get_tokenizer(multilingual=True, num_languages=99)
    cases = [
        # name, multilingual, window, options, language boost
        ("greedy_timestamps", False,
         {"seed": 1, "tokens": [en.timestamp_begin] + en.encode(" Hello there.") + [en.timestamp_begin + 60],
          "boost": 12.0, "no_speech_logit": 1.5}, {}, None),
        ("greedy_prompted", False,
         {"seed": 2, "tokens": [en.timestamp_begin + 3] + en.encode(" And so on") + [en.timestamp_begin + 70],
          "boost": 11.0, "no_speech_logit": 6.0}, {"prompt": en.encode(" Earlier words.")}, None),
        ("noise_decides", False,
         {"seed": 3, "tokens": [en.timestamp_begin + 10] + en.encode(" maybe"), "boost": 3.0, "no_speech_logit": 0.0},
         {"sample_len": 24}, None),
        ("without_timestamps", False,
         {"seed": 4, "tokens": en.encode(" Plain text only."), "boost": 12.0, "no_speech_logit": 2.0},
         {"without_timestamps": True}, None),
        ("multilingual_detect_translate", True,
         {"seed": 5, "tokens": [ml.timestamp_begin] + ml.encode(" Good morning") + [ml.timestamp_begin + 40],
          "boost": 12.0, "no_speech_logit": 4.0}, {"task": "translate", "prompt": ml.encode(" Vorher.")}, ("de", 12.0)),
        ("multilingual_given_language", True,
         {"seed": 6, "tokens": [ml.timestamp_begin + 2] + ml.encode(" Bonjour") + [ml.timestamp_begin + 30],
          "boost": 2.5, "no_speech_logit": 3.0}, {"language": "fr", "sample_len": 30}, None),
    ]
    out = []
    for name, multilingual, window, kwargs, language_boost in cases:
        if not multilingual:
            kwargs = {"language": "en", **kwargs}  # as transcribe() sets it for English-only models
        model = HashNoiseModel(multilingual, window, language_boost)
        result = whisper.decoding.decode(model, torch.zeros(80, 3000), DecodingOptions(fp16=False, **kwargs))
        tok = model.tokenizer
        probs = None
        if language_boost:
            _, all_probs = whisper.decoding.detect_language(model, torch.zeros(1500, 8), tok)
            probs = {k: all_probs[k] for k in ("en", "de", "fr", "kk")}
        out.append({
            "name": name, "multilingual": multilingual, "window": window, "options": kwargs,
            "language_boost": list(language_boost) if language_boost else None,
            "tokens": result.tokens, "text": result.text, "avg_logprob": result.avg_logprob,
            "no_speech_prob": result.no_speech_prob, "compression_ratio": result.compression_ratio,
            "language": result.language,
            "language_probs": probs,
            "token_bytes": {str(t): tok.encoding.decode_single_token_bytes(t).hex() for t in sorted(set(result.tokens)) if t < tok.timestamp_begin},
        })
    return {"cases": out}


COMPRESSION_SAMPLES = [
    "",
    "a",
    "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.",
    "Thank you. " * 40,
    "la la la la la la la la la la la la la la la la",
    "Grüße aus Köln! Ça va? 日本語のテキストも圧縮します。 ♪♪ 🎵",
    " ".join(str(i * 7919 % 1000) for i in range(300)),
]


def xoshiro256starstar(seed: int, count: int) -> list:
    """xoshiro256** (https://prng.di.unimi.it/xoshiro256starstar.c) seeded by SplitMix64
    (https://prng.di.unimi.it/splitmix64.c): Loom's sampler generator, checked output for output."""
    mask = (1 << 64) - 1
    x = seed
    state = []
    for _ in range(4):
        x = (x + 0x9E3779B97F4A7C15) & mask
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        state.append(z ^ (z >> 31))
    rotl = lambda v, k: ((v << k) | (v >> (64 - k))) & mask  # noqa: E731
    out = []
    for _ in range(count):
        s0, s1, s2, s3 = state
        out.append(str((rotl((s1 * 5) & mask, 7) * 9) & mask))
        t = (s1 << 17) & mask
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        state = [s0, s1, s2, s3]
    return out


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    files = {
        "specials.json": dump_specials(out),
        "filters.json": {"cases": dump_filters()},
        "transcribe.json": dump_transcribe(),
        "decode.json": dump_decode(),
        "xoshiro.json": {"seeds": {str(seed): xoshiro256starstar(seed, 5) for seed in (0, 1, 42, 2**64 - 1)}},
        "compression.json": {"samples": [{"text": s, "ratio": compression_ratio(s)} for s in COMPRESSION_SAMPLES]},
    }
    for name, value in files.items():
        with open(os.path.join(out, name), "w") as f:
            json.dump(value, f, ensure_ascii=False, separators=(",", ":"))
            f.write("\n")
    print("wrote", ", ".join(files))


if __name__ == "__main__":
    main()
