"""Reference outputs for Loom's Llama decoder (Sources/LoomModels/Llama).

(a) Seeded random tiny Llamas in Hugging Face layout (config.json + model.safetensors), one with an
    untied output head and one with tied embeddings and llama3 rope scaling, with logits for a fixed
    id sequence (every position), logits of incremental decoding (prompt, then 3 single steps with
    the KV cache) and 8 greedy next ids.
(b) The real SmolLM2-135M-Instruct Q4_1 GGUF, dequantized to float32 by transformers' GGUF loader
    (which undoes llama.cpp's q/k row permutation), on the ids of "The capital of France is":
    last-position logits and 16 greedy next ids.

Run: .venv-ref/bin/python Scripts/reference/dump_llama.py [--skip-smollm]
Reference: transformers/models/llama/modeling_llama.py (transformers 5.x).
"""
import json
import os
import sys

import numpy as np
import torch
from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint
from transformers import AutoConfig, AutoTokenizer, LlamaConfig, LlamaForCausalLM

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "llama")
TINY_IDS = [1, 17, 200, 45, 3, 99, 255, 0, 128, 64, 7, 31]
PROMPT_LEN = 9  # incremental: TINY_IDS[:9] as the prompt, then TINY_IDS[9], [10], [11] one at a time


def tiny(name, tied, rope_scaling):
    torch.manual_seed(1234 if tied else 42)
    kwargs = dict(
        hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, vocab_size=256, max_position_embeddings=128, rms_norm_eps=1e-5,
        tie_word_embeddings=tied, initializer_range=0.15, attention_bias=False, mlp_bias=False,
        bos_token_id=1, eos_token_id=2, pad_token_id=None,
    )
    if rope_scaling is not None:
        kwargs["rope_parameters"] = dict(rope_theta=10000.0, **rope_scaling)
    else:
        kwargs["rope_parameters"] = dict(rope_theta=10000.0, rope_type="default")
    config = LlamaConfig(**kwargs)
    model = LlamaForCausalLM(config).float().eval()
    with torch.no_grad():  # norms away from 1 so a missing norm weight shows
        for n, p in model.named_parameters():
            if n.endswith("norm.weight"):
                p.copy_(1 + 0.3 * torch.randn_like(p))
    folder = os.path.join(OUT, name)
    model.save_pretrained(folder, safe_serialization=True)
    for extra in ("generation_config.json",):
        path = os.path.join(folder, extra)
        if os.path.exists(path):
            os.remove(path)

    ids = torch.tensor([TINY_IDS])
    with torch.no_grad():
        full = model(ids).logits[0].numpy().astype(np.float32)  # (T, vocab)
        out = model(ids[:, :PROMPT_LEN], use_cache=True)
        steps = [out.logits[0, -1]]
        past = out.past_key_values
        for t in range(PROMPT_LEN, len(TINY_IDS)):
            out = model(ids[:, t:t + 1], past_key_values=past, use_cache=True)
            past = out.past_key_values
            steps.append(out.logits[0, -1])
        incremental = torch.stack(steps).numpy().astype(np.float32)  # (1 + 3, vocab)
        greedy = model.generate(ids, max_new_tokens=8, do_sample=False, min_new_tokens=8)[0, len(TINY_IDS):].tolist()
    full.tofile(os.path.join(folder, "logits_full.f32"))
    incremental.tofile(os.path.join(folder, "logits_incremental.f32"))
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump({"ids": TINY_IDS, "prompt_length": PROMPT_LEN, "greedy": greedy,
                   "vocab": 256, "transformers": __import__("transformers").__version__}, f, indent=1)
    print(name, "greedy", greedy, "logit absmax", float(np.abs(full).max()))


def smollm():
    folder = "/tmp/loomhome/models/smollm2-135m-instruct"
    name = "SmolLM2-135M-Instruct.Q4_1.gguf"
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    ids = tok("The capital of France is", add_special_tokens=False)["input_ids"]
    # from_pretrained(gguf_file=...) wants accelerate, which the reference venv lacks; the same
    # loader (dequantize with gguf, undo llama.cpp's q/k permutation) is called directly instead.
    config = AutoConfig.from_pretrained(folder, gguf_file=name)
    model = LlamaForCausalLM(config).float().eval()
    state = load_gguf_checkpoint(os.path.join(folder, name), return_tensors=True, model_to_load=model)["tensors"]
    missing, unexpected = model.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()}, strict=False)
    assert not unexpected and all("lm_head" in m for m in missing), (missing, unexpected)
    model.tie_weights()
    assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    torch.set_num_threads(2)
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0, -1].numpy().astype(np.float32)
        greedy = model.generate(torch.tensor([ids]), max_new_tokens=16, do_sample=False,
                                min_new_tokens=16)[0, len(ids):].tolist()
    logits.tofile(os.path.join(OUT, "smollm2_last_logits.f32"))
    top = np.argsort(-logits)[:20]
    with open(os.path.join(OUT, "smollm2_reference.json"), "w") as f:
        json.dump({"prompt": "The capital of France is", "ids": ids, "greedy": greedy,
                   "greedy_text": tok.decode(greedy), "top20_ids": top.tolist(),
                   "top20_logits": [float(logits[i]) for i in top]}, f, indent=1)
    print("smollm2 ids", ids, "greedy", greedy, repr(tok.decode(greedy)))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    tiny("tiny-untied", tied=False, rope_scaling=None)
    tiny("tiny-tied-llama3", tied=True, rope_scaling=dict(
        rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
        original_max_position_embeddings=16))
    if "--skip-smollm" not in sys.argv:
        smollm()
