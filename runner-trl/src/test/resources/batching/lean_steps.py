"""The lean SFT step (step_cost.py) against TRL's own, on the tiny model, on the CPU, in float32.

argv: the tiny model's folder, the shout training data, an output JSON file. The same 6 steps of 4 examples (TRL's
default chunked loss, a checkpoint at step 3) are trained by TRL's SFTTrainer and by step_cost.lean_sft(SFTTrainer)
with TRL's per-chunk loss replaced by the one without entropy. Recorded for each: the logged loss, gradient norm,
token accuracy and tokens seen at every step, the tokens seen in the checkpoint's trainer state, the weights at the
end, and how many values a micro-step read back from the device (the host waiting for it, on a GPU).
"""
import json
import os
import sys

import torch
from datasets import Dataset
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
from trl import SFTConfig, SFTTrainer
from trl.trainer import sft_trainer

import step_cost
from training_data import SftEncoder, read_jsonl

model_dir, data, out_path = sys.argv[1:4]
torch.set_num_threads(1)
tok = AutoTokenizer.from_pretrained(model_dir)
rows = read_jsonl(data)
encode = SftEncoder(tok, "chat")
examples = [encode(r) for r in rows[:24]]


class Reads:
    """Counts the tensor values read into Python while training (each is a wait for the device on a GPU)."""

    def __init__(self):
        self.count = 0
        self.on = False
        self.patched = []

    def __enter__(self):
        for name in ("item", "tolist", "__bool__", "__int__", "__float__", "__index__"):
            original = getattr(torch.Tensor, name)

            def counted(tensor, *args, _original=original, **kwargs):
                if self.on:
                    self.count += 1
                return _original(tensor, *args, **kwargs)

            self.patched.append((name, torch.Tensor.__dict__.get(name)))
            setattr(torch.Tensor, name, counted)
        return self

    def __exit__(self, *exc):
        for name, original in self.patched:
            if original is None:
                delattr(torch.Tensor, name)
            else:
                setattr(torch.Tensor, name, original)


class Record(TrainerCallback):
    def __init__(self, reads):
        self.reads = reads
        self.logs = []

    def on_train_begin(self, args, state, control, **kwargs):
        self.reads.on = True

    def on_log(self, args, state, control, logs=None, **kwargs):
        if "loss" in logs:
            self.logs.append({"step": state.global_step, "loss": logs["loss"], "grad_norm": logs["grad_norm"],
                              "mean_token_accuracy": logs.get("mean_token_accuracy"),
                              "entropy": logs.get("entropy"), "tokens": state.num_input_tokens_seen})

    def on_train_end(self, args, state, control, **kwargs):
        self.reads.on = False


def train(kind, out):
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    config = SFTConfig(output_dir=out, per_device_train_batch_size=4, gradient_accumulation_steps=1, max_steps=6,
                       learning_rate=1e-3, logging_steps=1, save_strategy="steps", save_steps=3, report_to="none",
                       use_cpu=True, max_length=512, disable_tqdm=True, include_num_input_tokens_seen="non_padding",
                       logging_nan_inf_filter=False, seed=0)
    with Reads() as reads:
        record = Record(reads)
        trainer = kind(model=model, args=config, train_dataset=Dataset.from_list(examples), processing_class=tok,
                       callbacks=[record])
        trainer.train()
    with open(os.path.join(out, "checkpoint-3", "trainer_state.json")) as f:
        saved_tokens = json.load(f)["num_input_tokens_seen"]
    weights = torch.cat([p.detach().flatten() for p in model.parameters()])
    return {"logs": record.logs, "checkpoint_tokens": saved_tokens, "reads_per_micro_step": reads.count / 6,
            "class": type(trainer).__name__}, weights


trl_run, trl_weights = train(SFTTrainer, "out-trl")
patched = step_cost.without_entropy(sft_trainer)
lean_run, lean_weights = train(step_cost.lean_sft(SFTTrainer), "out-lean")
result = {"trl": trl_run, "lean": lean_run, "patched": patched,
          "weights_relative_difference": float((lean_weights - trl_weights).norm() / trl_weights.norm())}
with open(out_path, "w") as f:
    json.dump(result, f, indent=1)
