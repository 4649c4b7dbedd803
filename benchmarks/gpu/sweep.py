"""The estimator's GPU sweep: throughput and peak memory at many shapes, through the TRL runner's own trainer.

    python3 sweep.py PLAN.json WORK_DIR RESULTS.jsonl [--only N,N,...]

For every model of the plan it makes a random-initialised model of that shape with the runner's tiny_model.py
(character tokenizer, embeddings padded to the real vocabulary), writes synthetic data whose examples fill the
point's sequence length, and runs trl_train.py's main() with the arguments file the SDK would write (one process
for all points, so Python and CUDA start once; peak-memory statistics are reset between points). Each point's
result is appended to RESULTS.jsonl as soon as it is measured: the median tokens/s of the steps after the first
`skip` as the events protocol reported them, the median step time, and the peak of torch.cuda.max_memory_allocated.
An out-of-memory point is recorded as such and the sweep goes on.
"""
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
import staged_scripts  # noqa: E402  (the runner's scripts as a job has them, failure-cause table included)
# SWEEP_DEVICE=cpu runs the same mechanics on a CPU (fp32, no CUDA statistics), to check a plan before a GPU run.
DEVICE = os.environ.get("SWEEP_DEVICE", "cuda")

WORDS = "the of and to in is was for on that with as by at from his her it an are were which be this".split()


def text(rng, length):
    out = []
    size = 0
    while size < length:
        w = rng.choice(WORDS)
        out.append(w)
        size += len(w) + 1
    # No spaces: a tokenizer of another family (qwen2) may drop them, and every sequence should fill its length.
    return "-".join(out)[:length]


def make_model(name, shape, work):
    out = os.path.join(work, "models", name)
    if os.path.exists(os.path.join(out, "config.json")):
        return out
    args = dict(shape, output=out, device=DEVICE, dtype="bf16" if DEVICE == "cuda" else "fp32", max_positions=4096)
    path = os.path.join(work, "models", name + ".json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(args, f)
    started = time.time()
    subprocess.run([sys.executable, os.path.join(staged_scripts.stage(work), "tiny_model.py"), path], check=True)
    print("made %s in %.0f s" % (name, time.time() - started), flush=True)
    return out


def make_data(work, objective, seq, rows):
    """Examples whose prompt and answer fill about seq characters (one character is one token)."""
    path = os.path.join(work, "data", "%s-%d-%d.jsonl" % (objective, seq, rows))
    if os.path.exists(path):
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rng = random.Random(seq * 31 + rows)
    prompt_len, answer_len = 60, seq - 80
    with open(path, "w") as f:
        for _ in range(rows):
            prompt = text(rng, prompt_len)
            if objective == "sft":
                row = {"messages": [{"role": "user", "content": prompt},
                                    {"role": "assistant", "content": text(rng, answer_len)}]}
            else:
                row = {"input": {"messages": [{"role": "user", "content": prompt}]},
                       "preferred_output": [{"role": "assistant", "content": text(rng, answer_len)}],
                       "non_preferred_output": [{"role": "assistant", "content": text(rng, answer_len)}]}
            f.write(json.dumps(row) + "\n")
    return path


def sequence_tokens(model, data, objective, seq):
    """The mean tokens of one sequence the model runs (DPO: prompt with chosen, prompt with rejected), at most seq."""
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(model)
    lengths = []
    with open(data) as f:
        for line in list(f)[:8]:
            row = json.loads(line)
            if objective == "sft":
                conversations = [row["messages"]]
            else:
                prompt = row["input"]["messages"]
                conversations = [prompt + row["preferred_output"], prompt + row["non_preferred_output"]]
            for c in conversations:
                ids = tok.apply_chat_template(c, tokenize=True)
                ids = ids["input_ids"] if hasattr(ids, "keys") else ids
                lengths.append(min(seq, len(ids)))
    return statistics.mean(lengths)


def trainer_args(point, model, data, job_dir, plan):
    """The arguments file the SDK writes for a job of this shape (see PythonTrainer.launch)."""
    method = {"objective": point["objective"], "adapter": point["adapter"]}
    if point["adapter"] != "full":
        method["lora"] = {"rank": 16, "alpha": 32, "dropout": 0.0, "target_modules": ["all-linear"]}
    if point["objective"] == "dpo":
        method["dpo"] = {"beta": 0.1, "loss_type": "sigmoid"}
    micro = point["micro_batch"]
    spec = {
        "name": "sweep", "tenant": "bench", "tier": "pro", "base_model": model, "method": method,
        "hyperparameters": {
            "max_steps": plan["max_steps"], "learning_rate": 1e-5 if point["adapter"] == "full" else 2e-4,
            "scheduler": "constant", "warmup_steps": 0, "batch_size": micro, "micro_batch_size": micro,
            "gradient_accumulation_steps": 1, "max_seq_length": point["seq"], "weight_decay": 0.0,
            "max_grad_norm": 1.0, "seed": 42, "gradient_checkpointing": point["gradient_checkpointing"],
            "packing": False, "precision": "bf16" if DEVICE == "cuda" else "fp32"},
        "training_data": {"path": data, "format": "chat" if point["objective"] == "sft" else "preference"},
        "resources": {"gpus": 1}, "checkpoints": {"every_steps": 100000, "keep_last": 1}, "metadata": {},
    }
    return {"job_id": os.path.basename(job_dir), "attempt": 1, "workdir": job_dir,
            "events_file": os.path.join(job_dir, "events.jsonl"), "output_dir": os.path.join(job_dir, "output"),
            "resume_from": None, "device": DEVICE, "bf16_supported": DEVICE == "cuda", "spec": spec}


def measure(point, args, plan):
    import torch
    import trl_train
    from training_events import EventWriter, StopSignal

    os.makedirs(args["workdir"], exist_ok=True)
    gc.collect()
    cuda = DEVICE == "cuda"
    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    events = EventWriter(args["events_file"])
    started = time.time()
    error = None
    try:
        trl_train.main(args, events, StopSignal(events))
    except torch.cuda.OutOfMemoryError as e:
        error = "out_of_memory: %s" % str(e).splitlines()[0]
    wall = time.time() - started
    peak = torch.cuda.max_memory_allocated() / 2 ** 30 if cuda else 0.0
    progress = []
    with open(args["events_file"]) as f:
        for line in f:
            e = json.loads(line)
            if e["type"] == "progress":
                progress.append(e)
    later = [p for p in progress if p["step"] > plan["skip"]]
    speeds = [p["tokens_per_second"] for p in later if p.get("tokens_per_second")]
    steps = [(b["time"] - a["time"]) / (b["step"] - a["step"]) for a, b in zip(later, later[1:])]
    result = dict(point)
    result.update(
        tokens_per_s=round(statistics.median(speeds)) if speeds else None,
        step_s=round(statistics.median(steps), 4) if steps else None,
        tokens_per_step=round(later[-1]["tokens"] / later[-1]["step"]) if later and later[-1].get("tokens") else None,
        peak_gib=round(peak, 2), wall_s=round(wall, 1), steps=len(progress),
        loss_first=progress[0]["loss"] if progress else None, loss_last=progress[-1]["loss"] if progress else None,
        error=error)
    return result


def main():
    plan_path, work, results = sys.argv[1:4]
    staged_scripts.stage(work)
    only = None
    if len(sys.argv) > 5 and sys.argv[4] == "--only":
        only = {int(i) for i in sys.argv[5].split(",")}
    with open(plan_path) as f:
        plan = json.load(f)
    import torch
    card = torch.cuda.get_device_name(0) if DEVICE == "cuda" else "cpu"
    rows = plan["max_steps"] * max(p["micro_batch"] for p in plan["points"])
    for index, point in enumerate(plan["points"]):
        if only is not None and index not in only:
            continue
        model = make_model(point["model"], plan["models"][point["model"]], work)
        data = make_data(work, point["objective"], point["seq"], rows)
        job_dir = os.path.join(work, "jobs", "point-%02d" % index)
        args = trainer_args(point, model, data, job_dir, plan)
        result = measure(point, args, plan)
        per_sequence = sequence_tokens(model, data, point["objective"], point["seq"])
        sequences = point["micro_batch"] * (2 if point["objective"] == "dpo" else 1)
        result.update(index=index, card=card, shape=plan["models"][point["model"]], sequence_tokens=per_sequence,
                      step_tokens=sequences * per_sequence,
                      step_tokens_per_s=round(sequences * per_sequence / result["step_s"]) if result["step_s"] else None)
        print(json.dumps(result), flush=True)
        with open(results, "a") as f:
            f.write(json.dumps(result) + "\n")
        subprocess.run(["rm", "-rf", os.path.join(job_dir, "output")])


if __name__ == "__main__":
    main()
