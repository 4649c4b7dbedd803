#!/usr/bin/env bash
# Proves the unsloth runner with the real unsloth on a CUDA machine (the project's own machines have neither):
# runs the trainer program the runner launches (unsloth_train.py, with the SDK's shared Python modules) on a small
# model for LoRA SFT, QLoRA SFT and LoRA DPO, and checks each reports through the events protocol, ends with
# "completed" and lowers its loss.
#
#   runner-unsloth/gpu-check.sh PYTHON MODEL [WORKDIR]
#
# PYTHON: an interpreter with CUDA torch, unsloth (2026.10.9 is pinned), trl, datasets and bitsandbytes.
# MODEL:  a local folder of a small chat model (a Llama, Qwen2 or Mistral with a chat template).
# Prints one line a run and exits non-zero when any run fails. Record what it printed, with the card's name, in
# docs/BENCHMARKS.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${1:?usage: gpu-check.sh PYTHON MODEL [WORKDIR]}"
model="${2:?usage: gpu-check.sh PYTHON MODEL [WORKDIR]}"
work="${3:-$(mktemp -d)}"
scripts="$work/python"
mkdir -p "$scripts"
cp "$here/src/main/resources/dev/koder/training/unsloth/unsloth_train.py" "$scripts/"
cp "$here/../runner-python/src/main/resources/dev/koder/training/python/training_events.py" "$scripts/"
cp "$here/../runner-python/src/main/resources/dev/koder/training/python/training_data.py" "$scripts/"
cp "$here/../examples/data/shout-train.jsonl" "$here/../examples/data/shout-prefs.jsonl" "$work/"
"$python" - "$work" "$model" <<'PY'
import json, os, sys
work, model = sys.argv[1], sys.argv[2]
lora = {"rank": 16, "alpha": 32, "dropout": 0.0, "target_modules": ["all-linear"]}
hp = {"max_steps": 30, "epochs": None, "learning_rate": 2e-4, "scheduler": "cosine", "warmup_ratio": 0.05,
      "warmup_steps": None, "batch_size": 8, "micro_batch_size": 8, "gradient_accumulation_steps": 1,
      "max_seq_length": 256, "weight_decay": 0.0, "max_grad_norm": 1.0, "seed": 42, "gradient_checkpointing": True,
      "packing": False, "precision": "auto"}
runs = {
    "sft-lora": ({"objective": "sft", "adapter": "lora", "lora": lora}, "shout-train.jsonl", "chat"),
    "sft-qlora": ({"objective": "sft", "adapter": "qlora", "lora": lora,
                   "quantization": {"type": "nf4", "double_quant": True, "compute_dtype": "bf16"}},
                  "shout-train.jsonl", "chat"),
    "dpo-lora": ({"objective": "dpo", "adapter": "lora", "lora": lora, "dpo": {"beta": 0.1, "loss_type": "sigmoid"}},
                 "shout-prefs.jsonl", "preference"),
}
for name, (method, data, fmt) in runs.items():
    d = os.path.join(work, name)
    os.makedirs(os.path.join(d, "output"), exist_ok=True)
    spec = {"name": name, "tenant": "gpu-check", "base_model": model, "method": method, "hyperparameters": hp,
            "training_data": {"path": os.path.join(work, data), "format": fmt}, "resources": {"gpus": 1},
            "checkpoints": {"every_steps": None, "keep_last": 1}}
    args = {"job_id": name, "attempt": 1, "workdir": d, "events_file": os.path.join(d, "events.jsonl"),
            "output_dir": os.path.join(d, "output"), "resume_from": None, "device": "cuda", "bf16_supported": True,
            "spec": spec}
    json.dump(args, open(os.path.join(d, "args.json"), "w"))
PY
status=0
for run in sft-lora sft-qlora dpo-lora; do
  d="$work/$run"
  start=$(date +%s)
  if (cd "$d" && PYTHONPATH="$scripts" UNSLOTH_COMPILE_LOCATION="$d/unsloth_compiled_cache" \
      "$python" -u "$scripts/unsloth_train.py" "$d/args.json" >"$d/stdout.log" 2>"$d/stderr.log"); then
    "$python" - "$d/events.jsonl" "$run" "$(( $(date +%s) - start ))" <<'PY' || status=1
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
losses = [e["loss"] for e in events if e["type"] == "progress"]
ok = events[-1]["type"] == "completed" and len(losses) >= 2 and losses[-1] < losses[0]
peak = max((e.get("gpu_memory_gib") or 0) for e in events if e["type"] == "progress")
print("%s: %s, loss %.3f -> %.3f over %d logs, peak %.2f GiB, %s s" % (sys.argv[2], "ok" if ok else "FAILED",
      losses[0], losses[-1], len(losses), peak, sys.argv[3]))
sys.exit(0 if ok else 1)
PY
  else
    echo "$run: FAILED (exit $?); see $d/stderr.log"; tail -n 5 "$d/stderr.log"; status=1
  fi
done
exit $status
