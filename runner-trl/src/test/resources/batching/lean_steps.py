"""The lean steps (step_cost.py) against TRL's own, on the tiny model, on the CPU, in float32.

argv: the tiny model's folder, the training data, an output JSON file, and the objective: sft (default) or dpo.
sft: the same 6 steps of 4 examples (TRL's default chunked loss, a checkpoint at step 3) are trained by TRL's
SFTTrainer and by step_cost.lean_sft(SFTTrainer) with TRL's per-chunk loss replaced by the one without entropy.
dpo: the same 6 steps of 4 preference pairs (a checkpoint at step 3) are trained by TRL's DPOTrainer and by
step_cost.lean_dpo(DPOTrainer), as a LoRA adapter (the reference is the model with the adapter off) and as a full
fine-tune (the reference a frozen copy). Recorded for each: the logged loss, gradient norm, token accuracy, rewards
and log-probabilities and tokens seen at every step, the tokens seen in the checkpoint's trainer state, the weights
at the end, and how many values a micro-step read back from the device (the host waiting for it, on a GPU).
"""
import json
import os
import sys

import torch
from datasets import Dataset
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
from trl import DPOConfig, DPOTrainer, SFTConfig, SFTTrainer
from trl.trainer import sft_trainer

import step_cost
from training_data import SftEncoder, preference_rows, read_jsonl

model_dir, data, out_path = sys.argv[1:4]
objective = sys.argv[4] if len(sys.argv) > 4 else "sft"
torch.set_num_threads(1)
tok = AutoTokenizer.from_pretrained(model_dir)
rows = read_jsonl(data)
LOGGED = ["mean_token_accuracy", "entropy", "rewards/chosen", "rewards/rejected", "rewards/accuracies",
          "rewards/margins", "logps/chosen", "logps/rejected", "logits/chosen"]


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
            self.logs.append(dict({"step": state.global_step, "loss": logs["loss"], "grad_norm": logs["grad_norm"],
                                   "tokens": state.num_input_tokens_seen}, **{k: logs.get(k) for k in LOGGED}))

    def on_train_end(self, args, state, control, **kwargs):
        self.reads.on = False


def train(kind, out, **extra):
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    told = dict(output_dir=out, per_device_train_batch_size=4, gradient_accumulation_steps=1, max_steps=6,
                learning_rate=1e-3, logging_steps=1, save_strategy="steps", save_steps=3, report_to="none",
                use_cpu=True, max_length=512, disable_tqdm=True, include_num_input_tokens_seen="non_padding",
                logging_nan_inf_filter=False, seed=0)
    if objective == "dpo":
        config = DPOConfig(beta=0.1, loss_type=["sigmoid"], **told)
        dataset = Dataset.from_list(preference_rows(rows[:24]))
    else:
        config = SFTConfig(**told)
        encode = SftEncoder(tok, "chat")
        dataset = Dataset.from_list([encode(r) for r in rows[:24]])
    with Reads() as reads:
        record = Record(reads)
        trainer = kind(model=model, args=config, train_dataset=dataset, processing_class=tok, callbacks=[record],
                       **extra)
        trainer.train()
    with open(os.path.join(out, "checkpoint-3", "trainer_state.json")) as f:
        saved_tokens = json.load(f)["num_input_tokens_seen"]
    weights = torch.cat([p.detach().flatten() for p in trainer.model.parameters()])
    return {"logs": record.logs, "checkpoint_tokens": saved_tokens, "reads_per_micro_step": reads.count / 6,
            "class": type(trainer).__name__}, weights


def compare(trl_class, lean_class, name, **extra):
    trl_run, trl_weights = train(trl_class, "out-trl-" + name, **extra)
    lean_run, lean_weights = train(lean_class, "out-lean-" + name, **extra)
    return {"trl": trl_run, "lean": lean_run,
            "weights_relative_difference": float((lean_weights - trl_weights).norm() / trl_weights.norm())}


if objective == "dpo":
    from peft import LoraConfig
    lora = LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules="all-linear", task_type="CAUSAL_LM")
    result = {"lora": compare(DPOTrainer, step_cost.lean_dpo(DPOTrainer), "lora", peft_config=lora),
              "full": compare(DPOTrainer, step_cost.lean_dpo(DPOTrainer), "full")}
else:
    trl_run, trl_weights = train(SFTTrainer, "out-trl")
    patched = step_cost.without_entropy(sft_trainer)
    lean_run, lean_weights = train(step_cost.lean_sft(SFTTrainer), "out-lean")
    result = {"trl": trl_run, "lean": lean_run, "patched": patched,
              "weights_relative_difference": float((lean_weights - trl_weights).norm() / trl_weights.norm())}
with open(out_path, "w") as f:
    json.dump(result, f, indent=1)
