"""One DPO micro-step, TRL's DPOTrainer against the SDK's lean one (step_cost.lean_dpo), in one process on the same
batch, in turns, so that the two are timed under the same conditions (docs/BENCHMARKS.md).

    python3 benchmarks/throughput/dpo_step.py --work DIR [--vocab 151936] [--pairs 4] [--seq 512] [--reps 5]
        [--device cpu|cuda]

The model is real_lengths.py's tiny Llama (its vocabulary as given) with a LoRA adapter on all linear layers, the
reference a copy of the adapter (what TRL makes of a model that already has one); the batch is the first --pairs pairs of real_lengths.py's preference
data, collated by TRL. Each turn times the loss (the policy's and the reference's forward passes, the loss and each
trainer's per-step figures) and the backward pass, the device synchronised at both ends, and counts the values read
back from the device. Printed: the mean of --reps turns after one untimed turn each.
"""
import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import real_lengths  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", required=True)
    p.add_argument("--vocab", type=int, default=151936)
    p.add_argument("--pairs", type=int, default=4)
    p.add_argument("--seq", type=int, default=512)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    opts = p.parse_args()
    real_lengths.SCRIPTS = real_lengths.staged_scripts.stage(opts.work)
    import torch
    from datasets import Dataset
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import DPOConfig, DPOTrainer
    import step_cost
    from training_data import preference_rows
    torch.set_num_threads(os.cpu_count() or 1)

    model_path = real_lengths.make_model("tiny", opts.work, opts.device, opts.vocab)
    data = real_lengths.make_pairs(opts.work, 64, opts.seq)
    tok = AutoTokenizer.from_pretrained(model_path)
    dtype = torch.bfloat16 if opts.device == "cuda" else torch.float32
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=dtype).to(opts.device)
    model = get_peft_model(model, real_lengths.lora_config("lora"))
    rows = Dataset.from_list(preference_rows(real_lengths.chat_rows(data))[:opts.pairs])
    config = DPOConfig(output_dir=os.path.join(opts.work, "jobs", "dpo-step"), per_device_train_batch_size=opts.pairs,
                       max_length=opts.seq, report_to="none", use_cpu=opts.device != "cuda",
                       bf16=opts.device == "cuda", disable_tqdm=True, beta=0.1, loss_type=["sigmoid"])
    # given an adapter, each trainer adds its copy "ref" as the reference: the second trainer adds it again
    trainers = {"trl": DPOTrainer(model=model, args=config, train_dataset=rows, processing_class=tok)}
    model.delete_adapter("ref")
    trainers["lean"] = step_cost.lean_dpo(DPOTrainer)(model=model, args=config, train_dataset=rows,
                                                      processing_class=tok)
    batch = trainers["trl"]._prepare_inputs(next(iter(trainers["trl"].get_train_dataloader())))
    reads = [0]
    for name in ("item", "tolist", "__bool__", "__int__", "__float__"):
        original = getattr(torch.Tensor, name)

        def counted(tensor, *args, _original=original, **kwargs):
            reads[0] += 1
            return _original(tensor, *args, **kwargs)

        setattr(torch.Tensor, name, counted)
    model.train()
    timed = {k: {"loss_s": [], "backward_s": [], "reads": []} for k in trainers}
    for turn in range(opts.reps + 1):
        for kind, trainer in trainers.items():
            model.zero_grad(set_to_none=True)
            real_lengths.sync(opts.device)
            reads[0] = 0
            started = time.perf_counter()
            loss = trainer.compute_loss(model, dict(batch))
            real_lengths.sync(opts.device)
            middle = time.perf_counter()
            counted_reads = reads[0]
            loss.backward()
            real_lengths.sync(opts.device)
            if turn:
                timed[kind]["loss_s"].append(middle - started)
                timed[kind]["backward_s"].append(time.perf_counter() - middle)
                timed[kind]["reads"].append(counted_reads)
    tokens = int(batch["attention_mask"].sum())
    out = {"vocab": opts.vocab, "pairs": opts.pairs, "rows_width": list(batch["input_ids"].shape), "tokens": tokens,
           "device": opts.device}
    for kind, t in timed.items():
        out[kind] = {k: round(statistics.mean(v), 4) for k, v in t.items()}
        out[kind]["loss_s_sd"] = round(statistics.stdev(t["loss_s"]), 4) if len(t["loss_s"]) > 1 else 0.0
    print(json.dumps(out))


if __name__ == "__main__":
    main()
