"""Counts what PyTorch keeps for backward in a decoder's training step, exactly, for the activation-memory test.

Reads a JSON list of points (family config at real widths, method, gradient checkpointing, micro-batch,
sequence) from the file named on the command line and prints, for each, the bytes of the tensors saved for
backward (torch.autograd.graph.saved_tensors_hooks), counted once per storage and without the parameters:
per layer (a model of two layers minus one of one layer, on real CPU tensors with SDPA, a tiny vocabulary) and
outside the layers (one layer at the real vocabulary, minus that layer). Weights are left uninitialised: values do
not change which tensors are kept or how large they are.
"""
import json
import sys

import torch
from transformers import AutoConfig, AutoModelForCausalLM


def saved_bytes(config, layers, vocab, b, s, method, checkpointing):
    cfg = AutoConfig.for_model(config["model_type"], **{k: v for k, v in config.items() if k != "model_type"})
    cfg.num_hidden_layers = layers
    cfg.vocab_size = vocab
    cfg._attn_implementation = "sdpa"
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(cfg, dtype=torch.bfloat16)
    model.to_empty(device="cpu")
    model.train()
    if method == "lora":
        from peft import LoraConfig, get_peft_model
        model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules="all-linear"))
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

    ids = torch.randint(0, vocab, (b, s))
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(input_ids=ids, labels=ids)
    return sum(kept.values())


def main():
    points = json.load(open(sys.argv[1], encoding="utf-8"))
    out = []
    rests = {}
    for p in points:
        c, b, s = p["config"], p["micro_batch"], p["seq"]
        one = saved_bytes(c, 1, 128, b, s, p["method"], p["checkpointing"])
        two = saved_bytes(c, 2, 128, b, s, p["method"], p["checkpointing"])
        layer = two - one
        key = (json.dumps(c, sort_keys=True), p["method"])
        if key not in rests:
            # Outside the layers, at the real vocabulary: one layer's model minus that layer, a token.
            at_one = saved_bytes(c, 1, c["vocab_size"], 1, 64, p["method"], False)
            at_two = saved_bytes(c, 2, c["vocab_size"], 1, 64, p["method"], False)
            rests[key] = (at_one - (at_two - at_one)) / 64.0
        rest_per_token = rests[key]
        recompute = layer
        if p["checkpointing"]:
            recompute = saved_bytes(c, 2, 128, b, s, p["method"], False) - saved_bytes(c, 1, 128, b, s, p["method"], False)
        out.append({"layer": layer, "recompute_layer": recompute, "rest_per_token": rest_per_token})
        print("counted", p["config"]["model_type"], p["method"], "gc" if p["checkpointing"] else "no-gc", b, s,
              file=sys.stderr, flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
