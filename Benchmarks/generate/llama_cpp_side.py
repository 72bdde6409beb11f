"""llama.cpp side of Benchmarks/generate: one cold run in this process, load excluded.

Evaluates the prompt with llama_cpp.Llama.eval (batched, n_batch 512), then decodes greedily
(argmax of the last logits, EOS ignored so both sides decode the same count) one token per eval.
Wall-clock times come from time.perf_counter around the two phases, the same split `loom generate
--stats` reports (its decode time includes its sampling, as this one includes the argmax).
llama.cpp's own counters (llama_perf_context) are printed alongside.

Usage: llama_cpp_side.py MODEL PROMPT_FILE THREADS MAX_TOKENS  -> one JSON line on stdout.
Reference API: https://github.com/abetlen/llama-cpp-python/blob/main/llama_cpp/llama.py (Llama.eval)
"""
import json
import sys
import time

import numpy as np
import llama_cpp

model, prompt_file, threads, max_tokens = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
prompt = open(prompt_file, encoding="utf-8").read()

load_start = time.perf_counter()
llm = llama_cpp.Llama(model_path=model, n_threads=threads, n_threads_batch=threads, n_ctx=2048,
                      n_batch=512, n_ubatch=512, verbose=False)
load_seconds = time.perf_counter() - load_start

# add_bos follows the model's metadata (llama.cpp adds BOS only when the GGUF asks for it), like Loom.
tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=False)
llm.reset()
llama_cpp.llama_perf_context_reset(llm.ctx)

n_vocab = llm.n_vocab()


def last_argmax() -> int:
    """Argmax of the last evaluated position's logits, read from the context. `Llama.scores` is only
    filled with logits_all=True in llama-cpp-python 0.3.x (otherwise it stays uninitialized)."""
    logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm.ctx, -1), shape=(n_vocab,))
    return int(np.argmax(logits))


start = time.perf_counter()
llm.eval(tokens)
prompt_seconds = time.perf_counter() - start
next_token = last_argmax()

generated = [next_token]
start = time.perf_counter()
while len(generated) < max_tokens:
    llm.eval([generated[-1]])
    generated.append(last_argmax())
# Loom counts the first token in "decode" but its logits come from the prompt pass; the timed loop
# above ran max_tokens - 1 evals, so rate = evals / time, as Loom's decode rate does.
decode_seconds = time.perf_counter() - start
decode_evals = max_tokens - 1

perf = llama_cpp.llama_perf_context(llm.ctx)
print(json.dumps({
    "side": "llama.cpp", "version": llama_cpp.__version__, "threads": threads,
    "load_s": load_seconds,
    "prompt_tokens": len(tokens), "prompt_tps": len(tokens) / prompt_seconds,
    "decode_tokens": len(generated), "decode_tps": decode_evals / decode_seconds if decode_evals else 0.0,
    "perf_prompt_tps": perf.n_p_eval / (perf.t_p_eval_ms / 1000) if perf.t_p_eval_ms else 0.0,
    "perf_decode_tps": perf.n_eval / (perf.t_eval_ms / 1000) if perf.t_eval_ms else 0.0,
    "text": llm.detokenize(generated).decode("utf-8", errors="replace"),
}))
