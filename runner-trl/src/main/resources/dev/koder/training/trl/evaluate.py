"""Scores a model (optionally with a LoRA adapter) on held-out data: loss, exact match, preference accuracy.

Loss is the mean cross-entropy on the assistant tokens of chat examples (the tokens SFT trains on); exact
match greedily generates each last assistant answer and compares it with the expected text. With preference
pairs, preference accuracy is the share of pairs whose chosen answer the model finds more likely than the
rejected one (what DPO trains), with the mean log-probability margin. Optionally merges the adapter into the
base and saves the merged model (to continue training from it, for example with DPO).

    python evaluate.py ARGS.json  # {"model": DIR, "adapter": DIR|null, "data": FILE, "report": FILE,
                                  #  "preferences": FILE|null, "max_new_tokens": 32, "merge_to": DIR|null}
"""
import json
import math
import sys


def answer_logprob(model, encode, prompt, answer):
    """Sum of the log-probabilities of an assistant answer's tokens after a prompt."""
    import torch
    example = encode({"messages": prompt + [{"role": "assistant", "content": answer}]})
    ids = torch.tensor([example["input_ids"]])
    labels = torch.tensor([example["labels"]])[:, 1:]
    logprobs = torch.log_softmax(model(input_ids=ids).logits[:, :-1].float(), dim=-1)
    mask = labels != -100
    picked = logprobs.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return float((picked * mask).sum())


def main():
    args = json.load(open(sys.argv[1], encoding="utf-8"))
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from training_data import SftEncoder, read_jsonl

    tokenizer = AutoTokenizer.from_pretrained(args["model"])
    model = AutoModelForCausalLM.from_pretrained(args["model"])
    if args.get("adapter"):
        from peft import PeftModel
        model = PeftModel.from_pretrained(model, args["adapter"])
    model.eval()
    encode = SftEncoder(tokenizer, "chat")
    rows = read_jsonl(args["data"])
    total_loss, total_tokens, exact, samples = 0.0, 0, 0, []
    with torch.no_grad():
        for row in rows:
            example = encode(row)
            ids = torch.tensor([example["input_ids"]])
            labels = torch.tensor([example["labels"]])
            logits = model(input_ids=ids).logits[:, :-1]
            targets = labels[:, 1:]
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1),
                                                     ignore_index=-100, reduction="sum")
            total_loss += loss.item()
            total_tokens += int((targets != -100).sum())
            messages = row["messages"]
            last = max(i for i, m in enumerate(messages) if m["role"] == "assistant")
            prompt = tokenizer.apply_chat_template(messages[:last], tokenize=True, add_generation_prompt=True,
                                                   return_tensors="pt")
            prompt = prompt["input_ids"] if hasattr(prompt, "keys") else prompt
            out = model.generate(input_ids=prompt, attention_mask=torch.ones_like(prompt), do_sample=False,
                                 max_new_tokens=int(args.get("max_new_tokens", 32)),
                                 eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
            got = tokenizer.decode(out[0, prompt.shape[1]:], skip_special_tokens=True).strip()
            expected = messages[last]["content"].strip()
            exact += got == expected
            if len(samples) < 5:
                samples.append({"prompt": messages[last - 1]["content"], "expected": expected, "got": got})
    report = {"loss": total_loss / max(1, total_tokens), "exact_match": exact, "total": len(rows),
              "samples": samples}
    if args.get("preferences"):
        wins, margins = 0, []
        with torch.no_grad():
            for row in read_jsonl(args["preferences"]):
                prompt = row["input"]["messages"]
                scores = [answer_logprob(model, encode, prompt, row[key][0]["content"])
                          for key in ("preferred_output", "non_preferred_output")]
                wins += scores[0] > scores[1]
                margins.append(scores[0] - scores[1])
        report["preference_accuracy"] = wins / max(1, len(margins))
        report["preference_margin"] = sum(margins) / max(1, len(margins))
    if not math.isfinite(report["loss"]):
        report["loss"] = None
    if args.get("merge_to"):
        merged = model.merge_and_unload() if hasattr(model, "merge_and_unload") else model
        merged.save_pretrained(args["merge_to"])
        tokenizer.save_pretrained(args["merge_to"])
        report["merged"] = args["merge_to"]
    with open(args["report"], "w", encoding="utf-8") as f:
        json.dump(report, f)


if __name__ == "__main__":
    main()
