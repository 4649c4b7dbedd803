"""Merges a PEFT adapter into its base model and saves the whole model for serving, then checks it.

The merged model is saved with safetensors weights, its config and the tokenizer (the adapter's, which training
saved beside it, else the base's). It is then loaded back from disk as a serving runtime would, and its outputs on a
fixed probe input are compared with the adapter model's: the merge fails when they differ by more than the saved
precision allows. The merge runs on the CPU, so the same adapter on the same base gives the same bytes.

    python merge.py ARGS.json  # {"base": DIR|ID, "adapter": DIR, "output": DIR, "report": FILE}
"""
import json
import os
import sys

# Allowed difference, relative to the largest output, by the precision of the saved weights.
TOLERANCE = {"float32": 1e-4, "float64": 1e-6}
HALF_TOLERANCE = 2e-2
PROBE_TEXT = "The merged model must answer exactly as the adapter does."
PROBE_LENGTH = 48


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def own_base(base):
    """A base that is an adapter folder (a continued fine-tune) is followed to the base it adapts."""
    seen = []
    while (os.path.isdir(base) and os.path.isfile(os.path.join(base, "adapter_config.json"))
           and not os.path.isfile(os.path.join(base, "config.json"))):
        if base in seen:
            raise SystemExit(f"merge: the adapter folders {seen} name each other as base")
        seen.append(base)
        base = read_json(os.path.join(base, "adapter_config.json"))["base_model_name_or_path"]
    return base


def model_class(task_type):
    import transformers
    if task_type == "CAUSAL_LM":
        return transformers.AutoModelForCausalLM
    if task_type == "SEQ_CLS":
        return transformers.AutoModelForSequenceClassification
    return transformers.AutoModel


def outputs(model, ids):
    out = model(input_ids=ids)
    value = out.logits if getattr(out, "logits", None) is not None else out.last_hidden_state
    return value.float()


def probe(tokenizer, vocab_size):
    """A fixed input: a sentence, then ids spread over the whole vocabulary, so every embedding row can count."""
    import torch
    ids = list(tokenizer(PROBE_TEXT, add_special_tokens=False)["input_ids"])[:PROBE_LENGTH // 2] if tokenizer else []
    i = 0
    while len(ids) < PROBE_LENGTH:
        ids.append((i * 7919 + 13) % vocab_size)
        i += 1
    return torch.tensor([ids])


def main():
    args = json.load(open(sys.argv[1], encoding="utf-8"))
    import torch
    from peft import PeftModel
    from transformers import AutoTokenizer

    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    adapter, output = args["adapter"], args["output"]
    if os.path.exists(output) and os.listdir(output):
        raise SystemExit(f"merge: the output folder {output} is not empty")
    config = read_json(os.path.join(adapter, "adapter_config.json"))
    base = own_base(args["base"])
    cls = model_class(config.get("task_type"))
    print(f"merge: loading {base} on the CPU", flush=True)
    model = cls.from_pretrained(base, dtype="auto", device_map="cpu")
    dtype = str(model.dtype).replace("torch.", "")
    tokenizer = None
    for source in (adapter, base):
        try:
            tokenizer = AutoTokenizer.from_pretrained(source)
            break
        except (OSError, ValueError):
            continue
    model = PeftModel.from_pretrained(model, adapter)
    model.eval()
    ids = probe(tokenizer, model.get_input_embeddings().num_embeddings)
    with torch.no_grad():
        expected = outputs(model, ids)
    print(f"merge: merging {adapter} into {base}", flush=True)
    merged = model.merge_and_unload()
    os.makedirs(output, exist_ok=True)
    merged.save_pretrained(output)
    if tokenizer is not None:
        tokenizer.save_pretrained(output)
    if not any(name.endswith(".safetensors") for name in os.listdir(output)):
        raise SystemExit(f"merge: saving wrote no safetensors weights into {output}")

    print("merge: checking the saved model against the adapter", flush=True)
    again = cls.from_pretrained(output, dtype="auto", device_map="cpu")
    again.eval()
    with torch.no_grad():
        got = outputs(again, ids)
    diff = float((got - expected).abs().max())
    scale = max(1.0, float(expected.abs().max()))
    tolerance = TOLERANCE.get(dtype, HALF_TOLERANCE) * scale
    report = {"base": base, "dtype": dtype, "max_abs_diff": diff, "tolerance": tolerance,
              "probe_tokens": int(ids.shape[1])}
    with open(args["report"], "w", encoding="utf-8") as f:
        json.dump(report, f)
    if not diff <= tolerance:
        raise SystemExit(f"merge: the merged model's outputs differ from the adapter's by {diff:.3g}, more than the "
                         f"{tolerance:.3g} {dtype} allows; the merge is not kept")
    print(f"merge: the merged model's outputs match the adapter's within {diff:.3g} (allowed {tolerance:.3g})",
          flush=True)


if __name__ == "__main__":
    main()
