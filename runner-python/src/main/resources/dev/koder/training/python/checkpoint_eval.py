"""Scores a checkpoint and its base model on held-out data, for an evaluation on demand.

SFT data (chat, prompt-completion, alpaca) is encoded as training encodes it, so the figures are over the tokens
SFT learns: eval_loss (mean cross-entropy per trained token), eval_mean_token_accuracy (share of them ranked first)
and eval_tokens. Preference data gives eval_preference_accuracy (share of pairs whose chosen answer is the more
likely) and eval_logp_margin (mean log-probability of chosen minus rejected); for the fine-tune, with the base as
DPO's reference, also eval_reward_accuracy and eval_reward_margin (beta times the margin's gain over the base).

    python checkpoint_eval.py ARGS.json  # {"base": DIR|ID, "checkpoint": DIR, "data": FILE, "format": "chat",
                                         #  "max_seq_length": 2048, "beta": 0.1, "report": FILE}
"""
import json
import math
import os
import sys

SFT_FORMATS = ("chat", "prompt-completion", "alpaca")


def is_adapter(folder):
    return (os.path.isfile(os.path.join(folder, "adapter_config.json"))
            and not os.path.isfile(os.path.join(folder, "config.json")))


def cut(example, length):
    return {"input_ids": example["input_ids"][:length], "labels": example["labels"][:length]}


def sft_examples(encode, rows, length):
    out = []
    for row in rows:
        example = cut(encode(row), length)
        if any(label != -100 for label in example["labels"][1:]):
            out.append(example)
    return out


def answer_example(encode, prompt, answer, length):
    """Prompt and answer encoded together, trained only on the answer's tokens."""
    if isinstance(prompt, str):
        return cut(encode.prompt_completion(prompt, answer), length)
    head = encode.template(prompt, None, generation_prompt=True)
    full = encode.chat(list(prompt) + list(answer))
    labels = [-100] * min(len(head), len(full["labels"])) + full["labels"][len(head):]
    return cut({"input_ids": full["input_ids"], "labels": labels}, length)


def preference_examples(encode, rows, length):
    from training_data import preference_rows
    pairs = []
    for row in preference_rows(rows):
        pair = (answer_example(encode, row["prompt"], row["chosen"], length),
                answer_example(encode, row["prompt"], row["rejected"], length))
        if all(any(label != -100 for label in side["labels"][1:]) for side in pair):
            pairs.append(pair)
    return pairs


def scored(model, example, device):
    """Sum of log-probabilities of the trained tokens, their count, and how many the model ranks first."""
    import torch
    ids = torch.tensor([example["input_ids"]], device=device)
    labels = torch.tensor([example["labels"]], device=device)[:, 1:]
    logits = model(input_ids=ids).logits[:, :-1].float()
    logprobs = torch.log_softmax(logits, dim=-1)
    mask = labels != -100
    picked = logprobs.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    correct = (logits.argmax(dim=-1) == labels) & mask
    return float((picked * mask).sum()), int(mask.sum()), int(correct.sum())


def progress(label, done, total):
    if total and (done == total or done % max(1, total // 10) == 0):
        print(f"evaluate: {label}: {done}/{total} examples", flush=True)


def sft_figures(model, examples, device, label):
    logp, tokens, correct = 0.0, 0, 0
    for i, example in enumerate(examples, 1):
        lp, n, c = scored(model, example, device)
        logp, tokens, correct = logp + lp, tokens + n, correct + c
        progress(label, i, len(examples))
    return {"eval_loss": -logp / max(1, tokens), "eval_mean_token_accuracy": correct / max(1, tokens),
            "eval_tokens": float(tokens)}


def pair_logps(model, pairs, device, label):
    out = []
    for i, (chosen, rejected) in enumerate(pairs, 1):
        out.append((scored(model, chosen, device)[0], scored(model, rejected, device)[0]))
        progress(label, i, len(pairs))
    return out


def preference_figures(logps):
    n = max(1, len(logps))
    return {"eval_preference_accuracy": sum(c > r for c, r in logps) / n,
            "eval_logp_margin": sum(c - r for c, r in logps) / n}


def main():
    args = json.load(open(sys.argv[1], encoding="utf-8"))
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from merge import own_base
    from training_data import SftEncoder, read_jsonl

    checkpoint, fmt = args["checkpoint"], args["format"]
    length = int(args.get("max_seq_length") or 2048)
    adapter = is_adapter(checkpoint)
    base = own_base(args["base"])
    device = "cuda" if torch.cuda.is_available() else "cpu"
    has_tokenizer = os.path.isfile(os.path.join(checkpoint, "tokenizer_config.json"))
    tokenizer = AutoTokenizer.from_pretrained(checkpoint if has_tokenizer else base)
    encode = SftEncoder(tokenizer, "chat" if fmt == "preference" else fmt)
    rows = read_jsonl(args["data"])
    if fmt in SFT_FORMATS:
        examples = sft_examples(encode, rows, length)
    elif fmt == "preference":
        examples = preference_examples(encode, rows, length)
    else:
        raise SystemExit(f"evaluate: {fmt} data is not scored by this evaluator")
    if not examples:
        raise SystemExit(f"evaluate: no example of {args['data']} has a trained token within {length} tokens")

    torch.manual_seed(0)
    print(f"evaluate: {len(examples)} examples on {device}; the base model {base} first", flush=True)
    model = AutoModelForCausalLM.from_pretrained(base, dtype="auto").to(device).eval()
    with torch.no_grad():
        if fmt == "preference":
            reference = pair_logps(model, examples, device, "base model")
            base_figures = preference_figures(reference)
        else:
            base_figures = sft_figures(model, examples, device, "base model")
        if adapter:
            from peft import PeftModel
            model = PeftModel.from_pretrained(model, checkpoint).eval()
        else:
            del model
            model = AutoModelForCausalLM.from_pretrained(checkpoint, dtype="auto").to(device).eval()
        if fmt == "preference":
            policy = pair_logps(model, examples, device, "checkpoint")
            figures = preference_figures(policy)
            beta = float(args.get("beta") or 0.1)
            rewards = [beta * ((pc - rc) - (pr - rr)) for (pc, pr), (rc, rr) in zip(policy, reference)]
            figures["eval_reward_accuracy"] = sum(r > 0 for r in rewards) / len(rewards)
            figures["eval_reward_margin"] = sum(rewards) / len(rewards)
        else:
            figures = sft_figures(model, examples, device, "checkpoint")
    for name, value in list(figures.items()) + list(base_figures.items()):
        if not math.isfinite(value):
            raise SystemExit(f"evaluate: {name} came out {value}; the model's outputs are not finite")
    with open(args["report"], "w", encoding="utf-8") as f:
        json.dump({"metrics": figures, "base_metrics": base_figures, "examples": len(examples), "device": device}, f)


if __name__ == "__main__":
    main()
