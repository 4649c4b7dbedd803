"""Counts what PyTorch keeps for backward in an encoder's training step, exactly, for the encoder activation-memory
test.

Reads a JSON list of points (family config at real widths, method, gradient checkpointing, micro-batch, sequence)
from the file named on the command line and prints, for each, the bytes of the tensors saved for backward
(torch.autograd.graph.saved_tensors_hooks), counted once per storage and without the parameters: per layer (a
model of two layers minus one of one layer, with SDPA) and
outside the layers, a token (one layer's model, with mean pooling, minus that layer). Weights are left
random: values do not change which tensors are kept or how large they are.
"""
import json
import sys

import torch
from transformers import AutoConfig, AutoModel


def saved_bytes(config, layers, b, s, method, checkpointing):
    cfg = AutoConfig.for_model(config["model_type"], **{k: v for k, v in config.items() if k != "model_type"})
    cfg.num_hidden_layers = layers
    for i, key in enumerate(("pad_token_id", "cls_token_id", "sep_token_id", "bos_token_id", "eos_token_id")):
        if isinstance(getattr(cfg, key, None), int) and getattr(cfg, key) >= cfg.vocab_size:
            setattr(cfg, key, i)  # special tokens inside the small vocabulary
    cfg._attn_implementation = "sdpa"
    cfg.attention_probs_dropout_prob = 0.0
    cfg.attention_dropout = 0.0
    model = AutoModel.from_config(cfg, dtype=torch.bfloat16)
    model.train()
    if method == "lora":
        from peft import LoraConfig, get_peft_model
        model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules="all-linear",
                                                 task_type="FEATURE_EXTRACTION"))
    if checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        if method == "lora":
            model.enable_input_require_grads()
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    kept = {}

    def pack(t):
        storage = t.untyped_storage()
        if storage.data_ptr() not in params:
            kept[storage.data_ptr()] = storage.nbytes()
        return t

    ids = torch.randint(5, config["vocab_size"], (b, s))
    # No padding and no attention dropout: CPU attention then takes the fused kernel that keeps what CUDA's fused
    # kernels keep with a padding mask and dropout (q, k, v, the output, the log-sum-exp, a random seed); CPU's
    # fallback for masks or dropout keeps the seq x seq matrices instead, which no GPU run does.
    mask = torch.ones(b, s, dtype=torch.long)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = model(input_ids=ids, attention_mask=mask).last_hidden_state
        m = mask.unsqueeze(-1).to(out.dtype)
        pooled = (out * m).sum(1) / m.sum(1)
        pooled.float().sum()
    return sum(kept.values())


def main():
    points = json.load(open(sys.argv[1], encoding="utf-8"))
    out = []
    for p in points:
        c, b, s = p["config"], p["micro_batch"], p["seq"]
        one = saved_bytes(c, 1, b, s, p["method"], p["checkpointing"])
        two = saved_bytes(c, 2, b, s, p["method"], p["checkpointing"])
        layer = two - one
        rest = (one - layer) / float(b * s)
        recompute = layer
        if p["checkpointing"]:
            recompute = saved_bytes(c, 2, b, s, p["method"], False) - saved_bytes(c, 1, b, s, p["method"], False)
        out.append({"layer": layer, "recompute_layer": recompute, "rest_per_token": rest})
        print("counted", c["model_type"], p["method"], "gc" if p["checkpointing"] else "no-gc", b, s,
              layer / (b * s), recompute / (b * s), rest, file=sys.stderr, flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
