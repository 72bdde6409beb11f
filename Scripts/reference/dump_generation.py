#!/usr/bin/env python3
"""Reference outputs for LoomGeneration, from Hugging Face transformers and openai-whisper.

Writes Tests/Fixtures/generation/processors.json: fixed random logits (seeded numpy, vocab 50) and
token histories, the output of each transformers logits processor / warper
(transformers/generation/logits_process.py) and of their chain in generate()'s order; filtered
positions (-inf) are written as null.

Writes Tests/Fixtures/generation/beam_search.json: openai-whisper's BeamSearchDecoder
(whisper/decoding.py) driven step by step on fixed logits with a stub inference, then finalize() and
MaximumLikelihoodRanker.rank(), as DecodingTask.run() calls them.

Run from the repository root:  .venv-ref/bin/python Scripts/reference/dump_generation.py
"""
import json
import math
from pathlib import Path

import numpy as np
import torch
from transformers.generation.logits_process import (
    MinPLogitsWarper,
    RepetitionPenaltyLogitsProcessor,
    SuppressTokensAtBeginLogitsProcessor,
    SuppressTokensLogitsProcessor,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)
from whisper.decoding import BeamSearchDecoder, GreedyDecoder, Inference, MaximumLikelihoodRanker

OUT = Path(__file__).resolve().parents[2] / "Tests" / "Fixtures" / "generation"
VOCAB = 50


def as_json_row(tensor):
    """A float32 row as JSON numbers, -inf as null."""
    return [None if math.isinf(v) and v < 0 else float(v) for v in tensor.reshape(-1).tolist()]


def processors_fixture():
    rng = np.random.default_rng(20240612)
    rows = [
        rng.normal(0.0, 2.0, VOCAB),  # typical spread
        rng.normal(0.0, 0.3, VOCAB),  # flat: top-p keeps many tokens
        rng.normal(0.0, 5.0, VOCAB),  # peaked: top-p / min-p keep few
        np.concatenate([rng.normal(3.0, 1.0, VOCAB // 2), rng.normal(-3.0, 1.0, VOCAB - VOCAB // 2)]),
    ]
    rows = [r.astype(np.float32) for r in rows]
    # A masked entry in the last row: processors must carry -inf through.
    rows[3][7] = -np.inf
    histories = [
        [3, 9, 9, 17, 42],  # repeats count once
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        [49, 25, 12, 6],
        [30, 31, 7, 70],  # 70 lies outside the vocabulary: ignored by the penalty
    ]

    cases = []

    def add(name, params, processors):
        outputs = []
        for row, history in zip(rows, histories):
            scores = torch.tensor(row).unsqueeze(0)
            ids = torch.tensor([history], dtype=torch.long)
            for p in processors:
                scores = p(ids, scores)
            outputs.append(as_json_row(scores))
        cases.append({"name": name, "params": params, "outputs": outputs})

    for penalty in (1.3, 0.8):
        add(f"repetition_{penalty}", {"repetition_penalty": penalty}, [RepetitionPenaltyLogitsProcessor(penalty)])
    for temperature in (0.7, 1.5):
        add(f"temperature_{temperature}", {"temperature": temperature}, [TemperatureLogitsWarper(temperature)])
    for k in (1, 5, 60):
        add(f"top_k_{k}", {"top_k": k}, [TopKLogitsWarper(k)])
    for p in (0.9, 0.5, 0.05, 1.0):
        add(f"top_p_{p}", {"top_p": p}, [TopPLogitsWarper(p)])
    for p in (0.05, 0.2, 0.0, 1.0):
        add(f"min_p_{p}", {"min_p": p}, [MinPLogitsWarper(p)])
    add("suppress", {"suppress_tokens": [0, 5, 49, 80]}, [SuppressTokensLogitsProcessor([0, 5, 49, 80])])
    # begin_index equals the history length for rows 0 and 3 (5 and 4 tokens): only those are suppressed.
    add("suppress_at_begin_5", {"begin_suppress_tokens": [1, 2, 3], "begin_index": 5},
        [SuppressTokensAtBeginLogitsProcessor([1, 2, 3], 5)])
    # generate()'s order: repetition penalty, suppression, then temperature, top-k, top-p, min-p.
    chain_params = {"repetition_penalty": 1.2, "suppress_tokens": [4], "temperature": 0.8,
                    "top_k": 20, "top_p": 0.9, "min_p": 0.05}
    add("chain", chain_params, [
        RepetitionPenaltyLogitsProcessor(1.2), SuppressTokensLogitsProcessor([4]),
        TemperatureLogitsWarper(0.8), TopKLogitsWarper(20), TopPLogitsWarper(0.9), MinPLogitsWarper(0.05),
    ])
    chain2 = {"repetition_penalty": 1.1, "temperature": 1.3, "top_k": 10, "top_p": 0.6}
    add("chain_no_min_p", chain2, [
        RepetitionPenaltyLogitsProcessor(1.1), TemperatureLogitsWarper(1.3), TopKLogitsWarper(10),
        TopPLogitsWarper(0.6),
    ])

    argmax = [int(torch.tensor(r).argmax().item()) for r in rows]
    log_softmax = [as_json_row(torch.log_softmax(torch.tensor(r), dim=-1)) for r in rows]
    softmax = [[float(v) for v in torch.softmax(torch.tensor(r), dim=-1).tolist()] for r in rows]
    return {
        "vocab": VOCAB,
        "logits": [as_json_row(torch.tensor(r)) for r in rows],
        "histories": histories,
        "cases": cases,
        "argmax": argmax,
        "log_softmax": log_softmax,
        "softmax": softmax,
        # UInt64 as decimal strings (JSON numbers lose bits above 2^53).
        "xoshiro": [{"seed": seed, "outputs": xoshiro256starstar(seed, 6)} for seed in (0, 42, 2**64 - 1)],
    }


class RecordingInference(Inference):
    """Stands in for the model: records the KV-cache rearrangement the decoder asks for."""

    def __init__(self):
        self.sources = None

    def rearrange_kv_cache(self, source_indices):
        self.sources = list(source_indices)


def beam_case(name, beam_size, patience, seed, eot, eot_boost_steps, max_steps, length_penalties):
    rng = np.random.default_rng(seed)
    inference = RecordingInference()
    decoder = BeamSearchDecoder(beam_size, eot, inference, patience)
    decoder.reset()
    initial = [1, 2, 3]  # stands for the start-of-transcript prompt; sample_begin = 3
    tokens = torch.tensor([initial]).repeat_interleave(beam_size, dim=0)
    sum_logprobs = torch.zeros(beam_size)  # float32, as DecodingTask._main_loop
    steps = []
    for step in range(max_steps):
        logits = rng.normal(0.0, 2.0, (beam_size, VOCAB)).astype(np.float32)
        if step in eot_boost_steps:
            logits[:, eot] += 4.0
        if step == 0:
            # An empty transcript (EOT first) makes the ranker divide by a zero length in openai-whisper.
            logits[:, eot] -= 10.0
        before_tokens = tokens.tolist()
        before_sums = sum_logprobs.tolist()
        tokens, completed = decoder.update(tokens, torch.tensor(logits), sum_logprobs)
        steps.append({
            "tokens": before_tokens,
            "sum_logprobs": before_sums,
            "logits": [[float(v) for v in row] for row in logits.tolist()],
            "next_tokens": tokens.tolist(),
            "next_sum_logprobs": sum_logprobs.tolist(),
            "source_indices": inference.sources,
            "completed": bool(completed),
            "finished": [{"tokens": list(k), "sum_logprob": v} for k, v in decoder.finished_sequences[0].items()],
        })
        if completed:
            break
    final_tokens, final_sums = decoder.finalize(
        tokens.reshape(1, beam_size, -1), sum_logprobs.reshape(1, beam_size))
    sample_begin = len(initial)
    sliced = [[t[sample_begin: (t == eot).nonzero()[0, 0]] for t in s] for s in final_tokens]
    rankings = []
    for penalty in length_penalties:
        selected = MaximumLikelihoodRanker(penalty).rank(sliced, final_sums)
        rankings.append({"length_penalty": penalty, "selected": int(selected[0])})
    return {
        "name": name, "beam_size": beam_size, "patience": patience, "eot": eot, "sample_begin": sample_begin,
        "steps": steps,
        "final": [{"tokens": t.tolist(), "sum_logprob": float(s)} for t, s in zip(final_tokens[0], final_sums[0])],
        "rankings": rankings,
    }


def greedy_case(seed=23, eot=30, rows=3, max_steps=8):
    """GreedyDecoder at temperature 0: argmax, scores, EOT padding of finished rows."""
    rng = np.random.default_rng(seed)
    decoder = GreedyDecoder(0.0, eot)
    tokens = torch.tensor([[1, 2, 3]]).repeat(rows, 1)
    sum_logprobs = torch.zeros(rows)
    steps = []
    for step in range(max_steps):
        logits = rng.normal(0.0, 2.0, (rows, VOCAB)).astype(np.float32)
        logits[step % rows, eot] += 8.0  # one row at a time reaches EOT
        before_tokens, before_sums = tokens.tolist(), sum_logprobs.tolist()
        tokens, completed = decoder.update(tokens, torch.tensor(logits), sum_logprobs)
        steps.append({
            "tokens": before_tokens, "sum_logprobs": before_sums,
            "logits": [[float(v) for v in row] for row in logits.tolist()],
            "next_tokens": tokens.tolist(), "next_sum_logprobs": sum_logprobs.tolist(),
            "completed": bool(completed),
        })
        if completed:
            break
    final_tokens, _ = decoder.finalize(tokens, sum_logprobs)
    return {"eot": eot, "steps": steps, "final": final_tokens.tolist()}


def beam_fixture():
    return {"greedy": greedy_case(), "cases": [
        beam_case("beam5_finishes", 5, None, 7, 49, {2, 3, 4, 5}, 12, [None, 1.0, 0.6]),
        beam_case("beam3_patience2", 3, 2.0, 11, 0, {1, 3, 4, 5, 6}, 12, [None, 0.2]),
        # EOT never favoured: stops at max_steps and finalize() pads with unfinished beams.
        beam_case("beam4_unfinished", 4, None, 13, 10, set(), 4, [None, 1.0]),
        # round(2 * 1.25) = round(2.5) = 2 in Python (banker's rounding).
        beam_case("beam2_patience_half", 2, 1.25, 17, 20, {1, 2, 3}, 8, [None]),
    ]}


MASK64 = (1 << 64) - 1


def xoshiro256starstar(seed, count):
    """First outputs of xoshiro256** seeded by SplitMix64, transcribed from the C reference
    (https://prng.di.unimi.it/xoshiro256starstar.c, https://prng.di.unimi.it/splitmix64.c)."""
    state = seed
    s = []
    for _ in range(4):
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        s.append(z ^ (z >> 31))

    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK64

    out = []
    for _ in range(count):
        out.append(str(rotl((s[1] * 5) & MASK64, 7) * 9 & MASK64))
        t = (s[1] << 17) & MASK64
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t
        s[3] = rotl(s[3], 45)
    return out


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    for name, payload in (("processors.json", processors_fixture()), ("beam_search.json", beam_fixture())):
        (OUT / name).write_text(json.dumps(payload, separators=(",", ":")) + "\n")
        print("wrote", OUT / name, (OUT / name).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
