#!/usr/bin/env bash
# The GPU checks of docs/BENCHMARKS.md, as one script for a machine with one NVIDIA GPU, Python with torch,
# transformers, peft and accelerate, and no network. Run from the repository root with:
#   .whl/  wheels of trl, datasets, dill and multiprocess
#   .gpu/  a jlink runtime (.gpu/jre) and the training command's jar (.gpu/training.jar)
#   OUT    a folder for the results
# benchmarks/gpu/prepare.sh makes .whl/ and .gpu/ on a build machine; carry both.
# 1. The SDK on the GPU: the NVML pool, then a LoRA SFT and a LoRA DPO job through `training submit` on a
#    0.12B Llama made here, with their status (estimate against measured).
# 2. The estimator's sweep (benchmarks/gpu/sweep-plan.json) through the TRL runner's trainer.
# 3. Throughput on data of real lengths (benchmarks/throughput/real_lengths.py): the SDK's default recipe against a
#    plain transformers+peft loop and TRL's defaults, 0.5B, 1.5B and 7B, LoRA and full, with model FLOPs utilisation.
# PARTS names the parts to run (default "sdk sweep lengths"; lengths runs first); PEAK_TFLOPS the card's dense
# bf16 peak; LENGTHS_PROFILE=1 adds the step profile to part 3's SFT runs; LENGTHS_RUNS the runs of part 3,
# "MODEL:ADAPTER" or "MODEL:ADAPTER:dpo", in the order to run them (default: what the goals need first, SFT). GPU_SECONDS (default 540) is the time the whole
# script may take, to stay within one call of the device tool with a rerun left: a run of part 3 or the sweep
# does not start when less than its own limit is left of it (LENGTHS_SECONDS, SWEEP_SECONDS), and says so.
# CHECK_DEVICE=cpu tries parts 1 and 3 on a CPU (part 3 with LENGTHS_RUNS="tiny:lora", a model two cores train).
set -uo pipefail
PARTS=" ${PARTS:-sdk sweep lengths} "
: "${OUT:?set OUT to a folder for the results}"
root="$(pwd)"
deadline=$((SECONDS + ${GPU_SECONDS:-540}))
left() { echo $((deadline - SECONDS)); }
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir .whl/*.whl 2>&1 | grep -v WARNING
python3 -c "import torch, transformers, peft, trl, datasets; print('torch', torch.__version__, 'transformers',
transformers.__version__, 'peft', peft.__version__, 'trl', trl.__version__, 'datasets', datasets.__version__,
torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no CUDA')" | tee "$OUT/versions.txt" || exit 1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee -a "$OUT/versions.txt"

work=/tmp/gpu-check

# 3. Throughput on data of real lengths, first when asked for: each run's figures are appended as measured. The
# default order: 0.5B LoRA (the goal of 1.5x the plain loop), 7B full (the goal of 35 % model FLOPs utilisation),
# then the rest. Each run's budget: 16,384 tokens a micro-step for 0.5B and 1.5B, 8,192 for 7B LoRA, 4,096 for 7B
# full. The models stay on disk until the part ends (a 7B model is 13 GiB).
if [[ "$PARTS" == *" lengths "* ]]; then
  peak="${PEAK_TFLOPS:-989}"  # H100 and H200 SXM: 989 dense bf16 TFLOPS
  limit="${LENGTHS_SECONDS:-150}"
  for run in ${LENGTHS_RUNS:-qwen2-0.5b:lora llama-7b:full qwen2-1.5b:lora qwen2-0.5b:full qwen2-1.5b:full llama-7b:lora}; do
    IFS=: read -r model adapter method <<<"$run"
    method="${method:-sft}"
    case "$model:$adapter" in
      llama-7b:lora) budget=8192 ;;
      llama-7b:full | tiny:*) budget=4096 ;;  # tiny: to try the mechanics on a CPU
      *) budget=16384 ;;
    esac  # a DPO run keeps the budget: memory goes by tokens, and 4,096 holds two rows of --seq 1024
    if [ "$(left)" -lt "$limit" ]; then
      echo "lengths $model $adapter $method: not started, $(left) s left of GPU_SECONDS and a run may take $limit s"
      continue
    fi
    timeout "$limit" python3 benchmarks/throughput/real_lengths.py --work "$work/lengths" \
      --device "${CHECK_DEVICE:-cuda}" --model "$model" --adapter "$adapter" --method "$method" \
      --micro-batch-tokens "$budget" --batch 32 --steps 14 --skip 4 --peak-tflops "$peak" \
      --results "$OUT/lengths.jsonl" ${LENGTHS_PROFILE:+$([ "$method" = sft ] && echo --profile)} \
      >>"$OUT/lengths.log" 2>&1
    echo "lengths $model $adapter $method: exit $?"
  done
  rm -rf "$work/lengths/models"
  cut -c1-400 "$OUT/lengths.jsonl" 2>/dev/null
fi

# 1. The SDK (about 2 minutes on the H200, 2026-11-29).
if [[ "$PARTS" == *" sdk "* ]] && [ "$(left)" -lt 180 ]; then
  echo "sdk: not started, $(left) s left of GPU_SECONDS and the part may take 180 s"
elif [[ "$PARTS" == *" sdk "* ]]; then
home="$work/home"
mkdir -p "$home"
printf 'training.python=%s\n' "$(command -v python3)" >"$home/training.properties"
java() { timeout "$1" "$root/.gpu/jre/bin/java" -jar "$root/.gpu/training.jar" "${@:2}"; }
{
  python3 - "$work" "$root" <<'EOF'
import json, os, subprocess, sys
work, root = sys.argv[1], sys.argv[2]
cuda = os.environ.get("CHECK_DEVICE", "cuda") == "cuda"  # CHECK_DEVICE=cpu tries the mechanics on a CPU
data = os.path.join(root, "examples/data")
model = os.path.join(work, "llama-0.12b")
args = {"output": model, "corpus": [os.path.join(data, f) for f in sorted(os.listdir(data)) if f.endswith(".jsonl")],
        "model_type": "llama", "hidden": 768, "layers": 12, "heads": 12, "kv_heads": 4, "intermediate": 2048,
        "vocab_size": 32000, "device": "cuda" if cuda else "cpu", "dtype": "bf16" if cuda else "fp32",
        "max_positions": 2048}
with open(os.path.join(work, "model.json"), "w") as f:
    json.dump(args, f)
subprocess.run([sys.executable, os.path.join(root, "runner-trl/src/main/resources/dev/koder/training/trl/tiny_model.py"),
                os.path.join(work, "model.json")], check=True)
for name, steps in (("sft-lora", 120 if cuda else 4), ("dpo", 60 if cuda else 2)):
    with open(os.path.join(root, "examples/specs", name + ".json")) as f:
        spec = json.load(f)
    spec["base_model"] = model
    spec["hyperparameters"] = dict(spec["hyperparameters"], max_steps=steps, learning_rate=0.0003)
    spec["hyperparameters"].pop("epochs", None)
    spec.pop("validation_data", None)
    spec["checkpoints"] = {"every_steps": steps, "keep_last": 1}
    spec["resources"] = {"gpus": 1 if cuda else 0}
    spec["training_data"]["path"] = os.path.join(data, os.path.basename(spec["training_data"]["path"]))
    with open(os.path.join(work, name + ".json"), "w") as f:
        json.dump(spec, f, indent=1)
EOF
  java 60 pool --home "$home"
  for name in sft-lora dpo; do
    java 150 submit "$work/$name.json" --home "$home"
  done
  for id in $(ls "$home/jobs"); do
    java 30 status "$id" --home "$home"
    java 30 status "$id" --home "$home" --json >"$OUT/status-$id.json"
  done
  java 30 estimate --history --home "$home"
} 2>&1 | tee "$OUT/sdk.log" | grep -v -E "it/s\]|examples/s\]"
fi

# 2. The sweep; each point is appended to sweep.jsonl as soon as it is measured.
[[ "$PARTS" == *" sweep "* ]] || exit 0
sweep="${SWEEP_SECONDS:-330}"
[ "$(left)" -lt "$sweep" ] && sweep="$(left)"
if [ "$sweep" -lt 60 ]; then
  echo "sweep: not started, $(left) s left of GPU_SECONDS"
  exit 0
fi
timeout "$sweep" python3 benchmarks/gpu/sweep.py "${SWEEP_PLAN:-benchmarks/gpu/sweep-plan.json}" "$work/sweep" \
  "$OUT/sweep.jsonl" ${SWEEP_ONLY:+--only "$SWEEP_ONLY"} >"$OUT/sweep.log" 2>&1
echo "sweep exit $?; points measured: $(wc -l <"$OUT/sweep.jsonl" 2>/dev/null)"
cut -c1-400 "$OUT/sweep.jsonl" 2>/dev/null
