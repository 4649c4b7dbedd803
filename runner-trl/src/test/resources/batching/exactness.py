"""Micro-steps by tokens against the padded baseline, on the tiny model, on the CPU, in float32.

argv: the tiny model's folder, the shout training data, an output JSON file. Examples of varied length (shout rows
repeated one to six times in one prompt-completion pair) are trained as one step of 12 examples:
- baseline: TRL's SFTTrainer, the step as one batch padded to its longest;
- token micro-steps: the same step through token_batching.token_budget(SFTTrainer), cut at a budget that makes
  several micro-steps, with the step's label count given (the Trainer's way) and without it (a model that takes no
  loss arguments);
and the gradients are compared, as are every example's summed token loss in its micro-step, in the padded batch
and alone. Also recorded: whether padding-free rows (one flattened sequence, position ids restarting per example, no
attention mask) keep their examples apart with this transformers' SDPA, and what the length-grouped sampler does.
"""
import copy
import json
import random
import sys

import torch
from datasets import Dataset
from transformers import AutoModelForCausalLM, AutoTokenizer
from trl import SFTConfig, SFTTrainer

from token_batching import grouped_sampler, token_budget, token_chunks
from training_data import SftEncoder, read_jsonl

model_dir, data, out_path = sys.argv[1:4]
torch.manual_seed(0)
torch.set_num_threads(1)
tok = AutoTokenizer.from_pretrained(model_dir)
rows = read_jsonl(data)
encode = SftEncoder(tok, "prompt-completion")
examples = []
for i in range(12):
    picked = rows[i * 3:i * 3 + 1 + i % 6]
    prompt = " ".join(r["messages"][0]["content"] for r in picked) + " "
    completion = " ".join(r["messages"][1]["content"] for r in picked)
    examples.append(encode.prompt_completion(prompt, completion))
lengths = [len(e["input_ids"]) for e in examples]
budget = 2 * max(lengths)


def model_and_trainer(kind, **extra):
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="sdpa")
    config = SFTConfig(output_dir="out", per_device_train_batch_size=len(examples), gradient_accumulation_steps=1,
                       report_to="none", use_cpu=True, max_length=512, disable_tqdm=True,
                       include_num_input_tokens_seen="non_padding")
    trainer = kind(model=model, args=config, train_dataset=Dataset.from_list(examples), processing_class=tok, **extra)
    trainer.current_gradient_accumulation_steps = 1  # what the training loop sets before its steps
    return model, trainer


def step_gradient(trainer, model, batch, with_count):
    model.zero_grad(set_to_none=True)
    count = int((batch["labels"][:, 1:] != -100).sum()) if with_count else None
    loss = trainer.training_step(model, dict(batch), count)
    return float(loss), torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None])


def summed_losses(model, batch):
    """Each row's summed next-token loss over its labels."""
    with torch.no_grad():
        logits = model(input_ids=batch["input_ids"], attention_mask=batch.get("attention_mask"),
                       position_ids=batch.get("position_ids")).logits.float()
    labels = batch["labels"][:, 1:]
    per_token = torch.nn.functional.cross_entropy(logits[:, :-1].transpose(1, 2), labels.clamp(min=0),
                                                  reduction="none") * (labels != -100)
    return per_token.sum(dim=1).tolist()


result = {"lengths": lengths, "budget": budget}
base_model, base = model_and_trainer(SFTTrainer)
batch = base.data_collator(examples)
for with_count in (True, False):
    base_loss, base_grad = step_gradient(base, base_model, batch, with_count)
    chunked_model, chunked = model_and_trainer(token_budget(SFTTrainer), micro_batch_tokens=budget)
    loss, grad = step_gradient(chunked, chunked_model, batch, with_count)
    key = "with_count" if with_count else "without_count"
    result[key] = {"base_loss": base_loss, "loss": loss,
                   "max_grad_difference": float((grad - base_grad).abs().max()),
                   "grad_scale": float(base_grad.abs().max()),
                   "relative_grad_difference": float((grad - base_grad).norm() / base_grad.norm()),
                   "batching": chunked.batching.report(budget)}

padded = summed_losses(base_model, batch)
alone = [summed_losses(base_model, base.data_collator([e]))[0] for e in examples]
groups = token_chunks(lengths, budget)
in_micro_steps = [0.0] * len(examples)
for rows_of in groups:
    part = base.data_collator([examples[r] for r in rows_of])
    for r, value in zip(rows_of, summed_losses(base_model, part)):
        in_micro_steps[r] = value
result["groups"] = groups
result["group_padded_tokens"] = [len(g) * lengths[g[0]] for g in groups]
result["max_example_loss_difference"] = max(
    max(abs(a - b) for a, b in zip(in_micro_steps, padded)), max(abs(a - b) for a, b in zip(alone, padded)))
result["example_loss_scale"] = max(padded)

# padding-free: all examples in one row, position ids restarting at 0 for each, no attention mask
flat = {"input_ids": torch.tensor([[t for e in examples for t in e["input_ids"]]]),
        "labels": torch.tensor([[(-100 if j == 0 else t) for e in examples for j, t in enumerate(e["labels"])]]),
        "position_ids": torch.tensor([[j for e in examples for j in range(len(e["input_ids"]))]])}
flat_total = summed_losses(base_model, flat)[0]
result["padding_free_sdpa"] = {"flat_loss": flat_total, "separate_loss": sum(alone),
                               "difference": abs(flat_total - sum(alone))}

# the sampler: the same order for a seed and epoch, another for the next epoch; runs of similar length
rng = random.Random(7)
many = [rng.randint(1, 900) for _ in range(2000)]
sampler = grouped_sampler(many, 8, seed=42)
first = list(sampler)
again = list(sampler)
sampler.set_epoch(1)
second = list(sampler)


def padding(order):
    steps = [order[i:i + 8] for i in range(0, len(order), 8)]
    real = sum(many[i] for s in steps for i in s)
    return 1 - real / sum(len(s) * max(many[i] for i in s) for s in steps)


shuffled = list(range(len(many)))
random.Random(1).shuffle(shuffled)
result["sampler"] = {"same_for_epoch": first == again, "differs_next_epoch": first != second,
                     "permutation": sorted(first) == list(range(len(many))),
                     "padding_grouped": padding(first), "padding_random": padding(shuffled)}
chunks = token_chunks(many[:64], 2048, at_least=40)
result["split"] = {"count": len(chunks), "every_row_once": sorted(i for c in chunks for i in c) == list(range(64)),
                   "within_budget": all(len(c) * many[c[0]] <= 2048 or len(c) == 1 for c in
                                        token_chunks(many[:64], 2048))}


def varied_pairs(count):
    """Preference pairs whose prompts and answers are 1 to 12 shout rows long, the rejected answer about half the
    chosen."""
    from training_data import preference_rows
    import os
    prefs = read_jsonl(os.path.join(os.path.dirname(data), "shout-prefs.jsonl"))
    rng = random.Random(3)
    pairs = []
    for i in range(count):
        picked = prefs[i * 4:i * 4 + 1 + rng.randrange(12)]
        pairs.append({"input": {"messages": [{"role": "user", "content": " ".join(
                          p["input"]["messages"][0]["content"] for p in picked)}]},
                      "preferred_output": [{"role": "assistant", "content": " ".join(
                          p["preferred_output"][0]["content"] for p in picked)}],
                      "non_preferred_output": [{"role": "assistant", "content": " ".join(
                          p["non_preferred_output"][0]["content"] for p in picked[:1 + len(picked) // 2])}]})
    return preference_rows(pairs)


def dpo_trainer(kind, rows, batch, dtype=torch.float32, **extra):
    from trl import DPOConfig
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype, attn_implementation="sdpa")
    config = DPOConfig(output_dir="out-dpo", per_device_train_batch_size=batch, gradient_accumulation_steps=1,
                       report_to="none", use_cpu=True, max_length=512, disable_tqdm=True, seed=42)
    # the reference: the policy's copy, so that both compute alike (TRL would load its own from the model's path)
    reference = copy.deepcopy(model).eval()
    trainer = kind(model=model, ref_model=reference, args=config, train_dataset=Dataset.from_list(rows),
                   processing_class=tok, **extra)
    trainer.current_gradient_accumulation_steps = 1
    return model, trainer


def dpo_padding():
    """TRL's DPO trainer with the SDK's length-grouped sampler against its own random one, over one epoch of
    micro-batches of 4 pairs: the padding of the micro-batches, and whether the grouped epoch holds every pair once."""
    from trl import DPOTrainer
    from token_batching import length_grouped
    rows = varied_pairs(48)
    out = {}
    for name, kind in (("random", DPOTrainer), ("grouped", length_grouped(DPOTrainer))):
        model, trainer = dpo_trainer(kind, rows, 4)
        tokens = padded = 0
        for batch in trainer.get_train_dataloader():
            tokens += int(batch["attention_mask"].sum())
            padded += batch["attention_mask"].numel()
        out[name] = 1 - tokens / padded
        if name == "grouped":
            order = list(trainer._get_train_sampler())
            out["every_pair_once"] = sorted(order) == list(range(len(rows)))
            out["class"] = type(trainer).__name__
    return out


def dpo_exactness():
    """One DPO step of 12 pairs, in float64 (the loss compares sums of a hundred log-probabilities, which float32
    rounds apart by about 1e-5 between paddings): TRL's DPOTrainer with the step as one collated batch, against
    token_budget(DPOTrainer, pairs=True) cutting it into micro-steps of pairs within a budget; their loss and
    gradient, and what the micro-steps held."""
    from trl import DPOTrainer
    rows = varied_pairs(12)
    base_model, base = dpo_trainer(DPOTrainer, rows, len(rows), dtype=torch.float64)
    batch = base.data_collator([base.train_dataset[i] for i in range(len(rows))])
    n = batch["input_ids"].shape[0] // 2
    lengths = batch["attention_mask"].sum(dim=1).tolist()
    pair_lengths = [max(lengths[i], lengths[n + i]) for i in range(n)]
    budget = 2 * 2 * max(pair_lengths)  # two pairs of the longest, four rows
    out = {"pairs": n, "budget": budget, "pair_lengths": pair_lengths}
    grads = {}
    for name, kind, extra in (("base", DPOTrainer, {}),
                              ("tokens", token_budget(DPOTrainer, pairs=True), {"micro_batch_tokens": budget})):
        model, trainer = (base_model, base) if name == "base" else dpo_trainer(kind, rows, len(rows),
                                                                                  dtype=torch.float64, **extra)
        model.zero_grad(set_to_none=True)
        loss = trainer.training_step(model, {k: v.clone() for k, v in batch.items()}, None)
        grads[name] = torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None])
        out[name + "_loss"] = float(loss)
        if name == "tokens":
            out["batching"] = trainer.batching.report(budget)
    out["relative_grad_difference"] = float((grads["tokens"] - grads["base"]).norm() / grads["base"].norm())
    out["max_grad_difference"] = float((grads["tokens"] - grads["base"]).abs().max())
    out["grad_scale"] = float(grads["base"].abs().max())
    out["padded_step_padding"] = 1 - sum(lengths) / batch["attention_mask"].numel()
    return out


result["dpo"] = dpo_padding()
result["dpo_tokens"] = dpo_exactness()
with open(out_path, "w") as f:
    json.dump(result, f, indent=1)
print(json.dumps(result))
