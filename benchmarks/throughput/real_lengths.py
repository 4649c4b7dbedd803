"""Throughput on data of real lengths: the SDK's default SFT recipe against a plain transformers+peft loop and
against TRL's own defaults, on the same model and the same synthetic chat data (docs/BENCHMARKS.md).

    python3 benchmarks/throughput/real_lengths.py --work DIR [--model tiny|qwen2-0.5b|qwen2-1.5b|llama-7b]
        [--method sft|dpo] [--adapter lora|full] [--device cpu|cuda] [--steps 12] [--skip 3] [--batch 16]
        [--seq 1024] [--micro-batch-tokens N] [--plain-micro 4] [--only sdk,plain,trl] [--profile]
        [--results FILE.jsonl]

The data: chat examples whose token lengths are log-normal with a median of 200 and a 90th percentile of 900,
clipped to --seq (the model's tokenizer is the runner's character tokenizer, one character a token). The model
is random-initialised at a real shape (benchmarks/gpu/sweep.py makes them the same way), so the figures are of
the arithmetic, not of any checkpoint's quality.

The three contenders, each trained for --steps optimiser steps, timed from the end of step --skip to the end
of the last step with the device synchronised at both ends:
- sdk: the TRL runner's own program (trl_train.py) on the arguments file the SDK writes, with the default
  recipe: steps of --batch examples in micro-steps of at most --micro-batch-tokens padded tokens (the SDK
  chooses the budget from the GPU's memory; here it is given, by default 4 x --seq, what it chooses on a CPU);
- plain: the loop most users write: shuffled micro-batches of --plain-micro examples padded to their longest,
  gradient accumulation to --batch examples a step, AdamW, loss on every token;
- trl: TRL's SFTTrainer with its defaults (8 examples a step, no packing), given only the model, the data,
  the learning rate, the precision and the step count.
Trained tokens are counted without padding (the attention mask's sum), per second.

--method dpo trains preference pairs instead: each pair's prompt is a short question, its chosen and its rejected
answer are drawn apart from the same log-normal lengths, and the contenders are the SDK's default DPO recipe
(steps of --batch pairs in micro-steps of at most --micro-batch-tokens padded tokens, by default 4 pairs of two
rows of --seq, what `auto` chooses on a CPU) and TRL's DPOTrainer with its defaults (8 pairs a step, in the
dataset's order); there is no plain loop, TRL's trainer being what most users run for DPO. A pair's tokens are its
two rows', each prompt and answer.

--profile runs the sdk contender once more with a timer around each part of a step (loading and collating the
batch, the forward pass with its loss, TRL's per-step metrics, backward, clipping and the optimiser, the
callbacks and logging), the device synchronised at every boundary, and prints where a step's time went.
"""
import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
import staged_scripts  # noqa: E402

SHAPES = {
    # small enough for two CPU cores, with a real vocabulary's share of the work in the head
    "tiny": {"model_type": "llama", "hidden": 256, "layers": 2, "heads": 4, "kv_heads": 2, "intermediate": 512,
             "vocab_size": 16000},
    "qwen2-0.5b": {"model_type": "qwen2", "hidden": 896, "layers": 24, "heads": 14, "kv_heads": 2,
                   "intermediate": 4864, "vocab_size": 151936},
    "qwen2-1.5b": {"model_type": "qwen2", "hidden": 1536, "layers": 28, "heads": 12, "kv_heads": 2,
                   "intermediate": 8960, "vocab_size": 151936},
    "llama-7b": {"model_type": "llama", "hidden": 4096, "layers": 32, "heads": 32, "kv_heads": 32,
                 "intermediate": 11008, "vocab_size": 32000},
}
MEDIAN, P90 = 200, 900
# a user and an assistant turn's template tokens, beside their text: six specials of one token each
TEMPLATE = len("<|user|><|end|><|assistant|><|end|>") - 6 * 1 + 4
SCRIPTS = None  # the staged runner scripts (staged_scripts.stage)
WORDS = "the of and to in is was for on that with as by at from his her it an are were which be this".split()


def lognormal_lengths(count, seq, seed):
    """Token lengths with the median MEDIAN and the 90th percentile P90, clipped to [16, seq]."""
    mu = math.log(MEDIAN)
    sigma = math.log(P90 / MEDIAN) / 1.2815515655446004  # the standard normal's 90th percentile
    rng = random.Random(seed)
    return [max(16, min(seq, int(round(rng.lognormvariate(mu, sigma))))) for _ in range(count)]


def text(rng, length):
    out, size = [], 0
    while size < length:
        word = rng.choice(WORDS)
        out.append(word)
        size += len(word) + 1
    return " ".join(out)[:max(1, length)]


def make_data(work, count, seq, seed=7):
    """Chat rows whose templated length is the drawn one: a short question, an answer filling the rest."""
    path = os.path.join(work, "data", "chat-%d-%d.jsonl" % (count, seq))
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        rng = random.Random(seed)
        with open(path + ".tmp", "w") as f:
            for length in lognormal_lengths(count, seq, seed):
                question = min(40, length // 4)
                answer = max(1, length - question - TEMPLATE)
                f.write(json.dumps({"messages": [{"role": "user", "content": text(rng, question)},
                                                 {"role": "assistant", "content": text(rng, answer)}]}) + "\n")
        os.replace(path + ".tmp", path)
    return path


def make_pairs(work, count, seq, seed=7):
    """Preference rows: a short question, then a chosen and a rejected answer whose templated lengths (with the
    question) are two draws of the same log-normal lengths."""
    path = os.path.join(work, "data", "pairs-%d-%d.jsonl" % (count, seq))
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        rng = random.Random(seed)
        drawn = lognormal_lengths(2 * count, seq, seed)
        with open(path + ".tmp", "w") as f:
            for chosen, rejected in zip(drawn[0::2], drawn[1::2]):
                question = min(40, min(chosen, rejected) // 4)
                answer = lambda length: [{"role": "assistant",  # noqa: E731
                                          "content": text(rng, max(1, length - question - TEMPLATE))}]
                f.write(json.dumps({"input": {"messages": [{"role": "user", "content": text(rng, question)}]},
                                    "preferred_output": answer(chosen),
                                    "non_preferred_output": answer(rejected)}) + "\n")
        os.replace(path + ".tmp", path)
    return path


def make_model(name, work, device, vocab=0):
    shape = dict(SHAPES[name], **({"vocab_size": vocab} if vocab else {}))
    out = os.path.join(work, "models", "%s-v%d" % (name, shape["vocab_size"]))
    if not os.path.exists(os.path.join(out, "config.json")):
        args = dict(shape, output=out, device=device, dtype="bf16" if device == "cuda" else "fp32",
                    max_positions=4096)
        path = out + ".json"
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            json.dump(args, f)
        subprocess.run([sys.executable, os.path.join(SCRIPTS, "tiny_model.py"), path], check=True)
    return out


def sync(device):
    import torch
    if device == "cuda":
        torch.cuda.synchronize()


class Window:
    """Tokens and seconds between the end of step `skip` and the end of the last step."""

    def __init__(self, skip, device):
        self.skip, self.device = skip, device
        self.start = self.tokens = None
        self.end = None

    def step_end(self, step, tokens):
        if self.start is None and step >= self.skip:
            sync(self.device)
            self.start, self.tokens, self.first = time.perf_counter(), tokens, step
        elif self.start is not None:
            self.end = (step, tokens)

    def result(self):
        sync(self.device)
        seconds = time.perf_counter() - self.start
        step, tokens = self.end
        return {"tokens_per_s": round((tokens - self.tokens) / seconds, 1), "steps_timed": step - self.first,
                "tokens_timed": tokens - self.tokens, "seconds": round(seconds, 3),
                "step_s": round(seconds / (step - self.first), 4)}


def lora_config(adapter):
    if adapter == "full":
        return None
    from peft import LoraConfig
    return LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules="all-linear", task_type="CAUSAL_LM")


def default_budget(opts):
    """What `auto` chooses on a CPU: the default micro-batch of 4 at --seq, of two rows for a pair."""
    return 4 * opts.seq * (2 if opts.method == "dpo" else 1)


def learning_rate(adapter):
    return 1e-5 if adapter == "full" else 2e-4


def run_sdk(opts, model, data, work, profile=False):
    """trl_train.main on the arguments file the SDK writes for a default SFT or DPO job."""
    import trl_train
    from training_events import EventWriter, StopSignal
    job = os.path.join(work, "jobs", "sdk-profile" if profile else "sdk")
    subprocess.run(["rm", "-rf", job])
    os.makedirs(job)
    method = {"objective": opts.method, "adapter": opts.adapter}
    if opts.adapter != "full":
        method["lora"] = {"rank": 16, "alpha": 32, "dropout": 0.0, "target_modules": ["all-linear"]}
    if opts.method == "dpo":
        method["dpo"] = {"beta": 0.1, "loss_type": "sigmoid"}
    budget = opts.micro_batch_tokens or default_budget(opts)
    spec = {
        "name": "bench", "tenant": "bench", "tier": "pro", "base_model": model, "method": method,
        "hyperparameters": {
            "max_steps": opts.steps, "learning_rate": learning_rate(opts.adapter), "scheduler": "constant",
            "warmup_steps": 0, "batch_size": opts.batch, "micro_batch_size": None, "micro_batch_tokens": budget,
            "gradient_accumulation_steps": None, "max_seq_length": opts.seq, "weight_decay": 0.0,
            "max_grad_norm": 1.0, "seed": 42, "gradient_checkpointing": opts.gradient_checkpointing,
            "packing": False, "precision": "bf16" if opts.device == "cuda" else "fp32"},
        "training_data": {"path": data, "format": "preference" if opts.method == "dpo" else "chat"},
        "resources": {"gpus": 1 if opts.device == "cuda" else 0},
        "checkpoints": {"every_steps": 100000, "keep_last": 1}, "metadata": {},
    }
    args = {"job_id": "bench", "attempt": 1, "workdir": job, "events_file": os.path.join(job, "events.jsonl"),
            "output_dir": os.path.join(job, "output"), "resume_from": None, "device": opts.device,
            "bf16_supported": opts.device == "cuda", "spec": spec}
    window = Window(opts.skip, opts.device)
    restore = hook_logs(window)
    phases = Phases(opts.device) if profile else None
    try:
        if phases:
            phases.install()
        events = EventWriter(args["events_file"])
        trl_train.main(args, events, StopSignal(events))
    finally:
        restore()
        if phases:
            phases.uninstall()
    out = window.result()
    with open(args["events_file"]) as f:
        all_events = [json.loads(line) for line in f]
    done = [e for e in all_events if e["type"] == "completed"]
    if done and done[-1].get("batching"):
        out["batching"] = done[-1]["batching"]
    progress = [e for e in all_events if e["type"] == "progress"]
    out["loss_first"], out["loss_last"] = progress[0]["loss"], progress[-1]["loss"]
    if opts.method == "dpo":
        out["reward_margin_last"] = progress[-1].get("rewards_margins")
    else:
        out["mean_token_accuracy_last"] = progress[-1].get("mean_token_accuracy")
    subprocess.run(["rm", "-rf", args["output_dir"]])
    if phases:
        out["phases"] = phases.report(opts.steps)
    return out


def hook_logs(window):
    """Times the SDK's trainer (built inside trl_train) at its logs, every step below 200 steps: it settles the
    tokens seen when it logs (step_cost.py), so the count is exact there."""
    from transformers.trainer_callback import CallbackHandler
    original = CallbackHandler.on_log

    def on_log(self, args, state, control, logs):
        out = original(self, args, state, control, logs)
        if "loss" in logs:
            window.step_end(state.global_step, state.num_input_tokens_seen)
        return out

    CallbackHandler.on_log = on_log
    return lambda: setattr(CallbackHandler, "on_log", original)


class Phases:
    """Seconds spent in each part of a step, the device synchronised at every boundary (for attribution only:
    the synchronisations themselves slow a GPU run down)."""

    def __init__(self, device):
        self.device = device
        self.seconds = {}
        self.calls = {}
        self.patched = []
        self.depth = []
        self.syncs = 0

    def wrap(self, owner, name, label):
        original = owner.__dict__[name]

        def timed(*args, **kwargs):
            sync(self.device)
            started = time.perf_counter()
            self.depth.append(label)
            try:
                return original(*args, **kwargs)
            finally:
                sync(self.device)
                self.depth.pop()
                spent = time.perf_counter() - started
                self.seconds[label] = self.seconds.get(label, 0.0) + spent
                self.calls[label] = self.calls.get(label, 0) + 1

        setattr(owner, name, timed)
        self.patched.append((owner, name, original))

    def count_syncs(self):
        """Counts the calls that make the host wait for the device (a tensor's value read into Python)."""
        import torch
        for name in ("item", "tolist", "__bool__", "__int__", "__float__"):
            original = getattr(torch.Tensor, name)

            def counted(tensor, *args, _original=original, **kwargs):
                if self.depth:
                    self.syncs += 1
                return _original(tensor, *args, **kwargs)

            self.patched.append((torch.Tensor, name, torch.Tensor.__dict__.get(name, original)))
            setattr(torch.Tensor, name, counted)

    def install(self):
        import torch
        self.count_syncs()
        import transformers
        from accelerate import Accelerator
        from transformers.trainer_callback import CallbackHandler
        self.wrap(transformers.Trainer, "get_batch_samples", "data: load and collate")
        self.wrap(transformers.Trainer, "compute_loss", "forward and loss")
        from trl import DPOTrainer
        self.wrap(DPOTrainer, "compute_loss", "forward and loss")  # DPO: with the reference's forward
        self.wrap(Accelerator, "backward", "backward")
        self.wrap(Accelerator, "clip_grad_norm_", "clip")
        self.wrap(torch.optim.AdamW, "step", "optimizer")
        self.wrap(transformers.Trainer, "training_step", "training_step, all")
        self.wrap(transformers.Trainer, "_inner_training_loop", "train loop, all")
        for event in ("on_step_end", "on_log", "on_step_begin", "on_pre_optimizer_step", "on_optimizer_step"):
            self.wrap(CallbackHandler, event, "callbacks")
        self.wrap(transformers.Trainer, "floating_point_ops", "flops count")
        self.wrap(transformers.Trainer, "_track_num_input_tokens", "token count")

    def uninstall(self):
        for owner, name, original in reversed(self.patched):
            setattr(owner, name, original)
        self.patched = []

    def report(self, steps):
        s = dict(self.seconds)
        loop = s.pop("train loop, all", 0.0)
        step = s.pop("training_step, all", 0.0)
        inner = s.get("forward and loss", 0.0) + s.get("backward", 0.0)
        s["per-step metrics, rest of training_step"] = max(0.0, step - inner)
        top = step + sum(v for k, v in s.items() if k not in ("forward and loss", "backward",
                                                               "per-step metrics, rest of training_step"))
        s["other (the loop's own work)"] = max(0.0, loop - top)
        total = loop or 1.0
        rows = [{"part": k, "s_per_step": round(v / steps, 5), "share": round(v / total, 4)}
                for k, v in sorted(s.items(), key=lambda kv: -kv[1])]
        return {"step_s": round(loop / steps, 5), "parts": rows, "host_syncs_per_step": round(self.syncs / steps, 2)}


def chat_rows(data):
    with open(data) as f:
        return [json.loads(line) for line in f]


def run_plain(opts, model_path, data):
    """The loop most users write: random micro-batches padded to their longest, accumulation, AdamW."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    torch.manual_seed(42)
    tok = AutoTokenizer.from_pretrained(model_path)
    dtype = torch.bfloat16 if opts.device == "cuda" else torch.float32
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=dtype).to(opts.device)
    if opts.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    config = lora_config(opts.adapter)
    if config is not None:
        from peft import get_peft_model
        model = get_peft_model(model, config)
        if opts.gradient_checkpointing:
            model.enable_input_require_grads()
        for p in model.parameters():  # trainable weights in fp32, as the Trainer keeps them under autocast
            if p.requires_grad:
                p.data = p.data.float()
    model.train()
    examples = []
    for row in chat_rows(data):
        ids = tok.apply_chat_template(row["messages"], tokenize=True)
        ids = ids["input_ids"] if hasattr(ids, "keys") else list(ids)
        examples.append(ids[:opts.seq])
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=learning_rate(opts.adapter),
                                  weight_decay=0.0)
    accumulation = max(1, opts.batch // opts.plain_micro)
    rng = random.Random(42)
    order = []
    window = Window(opts.skip, opts.device)
    tokens = 0
    pad = tok.pad_token_id if tok.pad_token_id is not None else 0
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if opts.device == "cuda" else torch.autocast(
        "cpu", enabled=False)
    losses = []
    for step in range(1, opts.steps + 1):
        for _ in range(accumulation):
            if len(order) < opts.plain_micro:
                order = list(range(len(examples)))
                rng.shuffle(order)
            rows = [examples[order.pop()] for _ in range(opts.plain_micro)]
            width = max(len(r) for r in rows)
            ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows], device=opts.device)
            mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows], device=opts.device)
            labels = ids.masked_fill(mask == 0, -100)
            with autocast:
                loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss / accumulation
            loss.backward()
            tokens += sum(len(r) for r in rows)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if step in (1, opts.steps):
            losses.append(float(loss) * accumulation)
        window.step_end(step, tokens)
    out = window.result()
    out["loss_first"], out["loss_last"] = losses[0], losses[-1]
    return out


def run_trl_defaults(opts, model_path, data, work):
    """TRL's SFTTrainer (or DPOTrainer) with its defaults, told only what it cannot know."""
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import DPOConfig, DPOTrainer, SFTConfig, SFTTrainer
    tok = AutoTokenizer.from_pretrained(model_path)
    dtype = torch.bfloat16 if opts.device == "cuda" else torch.float32
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=dtype)
    window = Window(opts.skip, opts.device)

    class Timing(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            window.step_end(state.global_step, state.num_input_tokens_seen)

    told = dict(output_dir=os.path.join(work, "jobs", "trl"), max_steps=opts.steps,
                learning_rate=learning_rate(opts.adapter), bf16=opts.device == "cuda", use_cpu=opts.device != "cuda",
                max_length=opts.seq, report_to="none", save_strategy="no", disable_tqdm=True,
                include_num_input_tokens_seen="non_padding", gradient_checkpointing=opts.gradient_checkpointing)
    if opts.method == "dpo":
        import training_data
        config = DPOConfig(**told)
        trainer = DPOTrainer(model=model, args=config,
                             train_dataset=Dataset.from_list(training_data.preference_rows(chat_rows(data))),
                             processing_class=tok, peft_config=lora_config(opts.adapter), callbacks=[Timing()])
    else:
        config = SFTConfig(**told)
        trainer = SFTTrainer(model=model, args=config, train_dataset=Dataset.from_list(chat_rows(data)),
                             processing_class=tok, peft_config=lora_config(opts.adapter), callbacks=[Timing()])
    trainer.train()
    out = window.result()
    out["examples_per_step"] = config.per_device_train_batch_size * config.gradient_accumulation_steps
    return out


def model_flops_per_token(model_path, adapter):
    """6 x the parameters a token passes through (2 forward, 4 backward; LoRA: the frozen weights still take the
    backward's activation gradients, so 4 rather than 6 for them), without attention's quadratic term."""
    from transformers import AutoConfig
    c = AutoConfig.from_pretrained(model_path)
    kv = c.num_key_value_heads * (c.hidden_size // c.num_attention_heads)
    layer = c.hidden_size * (2 * c.hidden_size + 2 * kv) + 3 * c.hidden_size * c.intermediate_size
    body = c.num_hidden_layers * layer + c.hidden_size * c.vocab_size
    return (4 if adapter != "full" else 6) * body


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", required=True)
    p.add_argument("--model", default="tiny", choices=sorted(SHAPES))
    p.add_argument("--vocab", type=int, default=0, help="the embedding rows, instead of the shape's")
    p.add_argument("--method", default="sft", choices=["sft", "dpo"])
    p.add_argument("--adapter", default="lora", choices=["lora", "full"])
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--steps", type=int, default=12)
    p.add_argument("--skip", type=int, default=3)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--seq", type=int, default=1024)
    p.add_argument("--micro-batch-tokens", type=int, default=0)
    p.add_argument("--plain-micro", type=int, default=4)
    p.add_argument("--gradient-checkpointing", action="store_true")
    p.add_argument("--only", default=None, help="default: sdk,plain,trl for SFT, sdk,trl for DPO")
    p.add_argument("--profile", action="store_true")
    p.add_argument("--peak-tflops", type=float, default=0.0, help="the card's dense bf16 peak, for utilisation")
    p.add_argument("--results")
    opts = p.parse_args()
    if opts.skip >= opts.steps:
        p.error("--skip must be below --steps")
    opts.only = opts.only or ("sdk,trl" if opts.method == "dpo" else "sdk,plain,trl")
    if opts.method == "dpo" and "plain" in opts.only.split(","):
        p.error("--method dpo has no plain contender: TRL's DPOTrainer is the baseline (--only sdk,trl)")
    global SCRIPTS
    SCRIPTS = staged_scripts.stage(opts.work)
    import torch
    torch.set_num_threads(os.cpu_count() or 1)
    model = make_model(opts.model, opts.work, opts.device, opts.vocab)
    rows = opts.steps * max(opts.batch, 8) * 2
    data = (make_pairs if opts.method == "dpo" else make_data)(opts.work, rows, opts.seq)
    lengths = lognormal_lengths(rows * (2 if opts.method == "dpo" else 1), opts.seq, 7)
    card = torch.cuda.get_device_name(0) if opts.device == "cuda" else "cpu (%d threads)" % torch.get_num_threads()
    flops = model_flops_per_token(model, opts.adapter)
    base = {"card": card, "model": opts.model, "method": opts.method, "adapter": opts.adapter, "seq": opts.seq,
            "batch": opts.batch,
            "data": {"rows": rows, "median": statistics.median(lengths),
                     "p90": sorted(lengths)[int(0.9 * len(lengths))], "mean": round(statistics.mean(lengths), 1)}}
    runs = {"sdk": lambda: run_sdk(opts, model, data, opts.work),
            "plain": lambda: run_plain(opts, model, data),
            "trl": lambda: run_trl_defaults(opts, model, data, opts.work)}
    results = {}
    for name in opts.only.split(","):
        out = runs[name]()
        if opts.peak_tflops:
            out["mfu"] = round(out["tokens_per_s"] * flops / (opts.peak_tflops * 1e12), 4)
        results[name] = out
        row = dict(base, contender=name, **out)
        print(json.dumps(row), flush=True)
        if opts.results:
            with open(opts.results, "a") as f:
                f.write(json.dumps(row) + "\n")
    if "sdk" in results and "plain" in results:
        print("sdk / plain tokens/s: %.2fx" % (results["sdk"]["tokens_per_s"] / results["plain"]["tokens_per_s"]))
    if "sdk" in results and "trl" in results:
        print("sdk / trl defaults tokens/s: %.2fx" % (results["sdk"]["tokens_per_s"] / results["trl"]["tokens_per_s"]))
    if opts.profile:
        out = run_sdk(opts, model, data, opts.work, profile=True)
        print(json.dumps(dict(base, contender="sdk-profile", **out)), flush=True)
        print("where a step of the sdk contender went (device synchronised at each boundary):")
        print("  %-40s %10s %7s" % ("part", "s/step", "share"))
        for r in out["phases"]["parts"]:
            print("  %-40s %10.5f %6.1f%%" % (r["part"], r["s_per_step"], 100 * r["share"]))
        print("  host synchronisations a step (values read from tensors): %s"
              % out["phases"]["host_syncs_per_step"])
        if opts.results:
            with open(opts.results, "a") as f:
                f.write(json.dumps(dict(base, contender="sdk-profile", **out)) + "\n")


if __name__ == "__main__":
    main()
