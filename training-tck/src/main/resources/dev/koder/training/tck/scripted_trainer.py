"""A stand-in trainer for tests of hosts and executors: a real process that speaks the events protocol.

It "trains" for a number of steps (sleeping between them), appends one JSON object per line to the events
file, saves checkpoint folders, honours SIGTERM by saving a checkpoint and stopping, and resumes from a
checkpoint. Everything it does comes from the JSON file named on its command line; the behaviour knobs are
under "behaviour" (set by the tests through the spec's metadata).
"""
import json
import os
import signal
import struct
import subprocess
import sys
import time

args = json.load(open(sys.argv[1]))
behaviour = args.get("behaviour", {})
events_path = args["events_file"]
output_dir = args["output_dir"]
total = int(args["total_steps"])
step_seconds = float(behaviour.get("step_seconds", "0.05"))
stop = {"requested": 0}


def emit(event_type, **fields):
    fields.update({"v": 1, "type": event_type, "time": time.time()})
    with open(events_path, "a", encoding="utf-8") as f:
        f.write(json.dumps(fields) + "\n")
        f.flush()


def write_adapter(path, step):
    """A small but real PEFT LoRA adapter: adapter_config.json and a safetensors file, different per step."""
    if behaviour.get("artifacts", "true") != "true":
        return
    rank = 4
    extra = int(float(behaviour.get("adapter_kib", "0")) * 1024 / 4)
    shapes = {"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight": (rank, 16),
              "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight": (16, rank)}
    if extra:
        shapes["base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight"] = (1, extra)
    header, data = {}, b""
    for name, (rows, cols) in shapes.items():
        count = rows * cols
        values = struct.pack("<%df" % count, *[((step * 7919 + i) % 1000) / 1000.0 for i in range(count)])
        header[name] = {"dtype": "F32", "shape": [rows, cols], "data_offsets": [len(data), len(data) + len(values)]}
        data += values
    header["__metadata__"] = {"format": "pt"}
    encoded = json.dumps(header).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)
    with open(os.path.join(path, "adapter_model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        f.write(data)
    with open(os.path.join(path, "adapter_config.json"), "w") as f:
        json.dump({"peft_type": "LORA", "r": rank, "lora_alpha": 8, "target_modules": ["q_proj", "v_proj"]}, f)


def save(step):
    path = os.path.join(output_dir, "checkpoint-%d" % step)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "state.json"), "w") as f:
        json.dump({"step": step}, f)
    write_adapter(path, step)
    emit("checkpoint", step=step, path=os.path.relpath(path, args["workdir"]))


def on_term(signum, frame):
    stop["requested"] += 1
    if stop["requested"] > 1:
        sys.exit(130)


signal.signal(signal.SIGTERM, on_term)
if behaviour.get("ignore_sigterm") == "true":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

if behaviour.get("record_env") == "true":
    with open(os.path.join(args["workdir"], "cuda-visible-devices.txt"), "w") as f:
        f.write(os.environ.get("CUDA_VISIBLE_DEVICES", "<unset>"))
    with open(os.path.join(args["workdir"], "cpu-threads.txt"), "w") as f:
        f.write(os.environ.get("TRAINING_CPU_THREADS", "<unset>"))

if behaviour.get("spawn_child") == "true":
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    with open(os.path.join(args["workdir"], "child.pid"), "w") as f:
        f.write(str(child.pid))

start = 0
if args.get("resume_from"):
    with open(os.path.join(args["resume_from"], "state.json")) as f:
        start = json.load(f)["step"]
    print("resuming from step %d" % start, flush=True)

emit("started", total_steps=total, world_size=1)
# The base model's retrieval figures before the first step, and the fine-tune's at the end, as the
# sentence-transformers trainer reports them.
retrieval = behaviour.get("retrieval") == "true"
if retrieval and start == 0:
    emit("eval", step=0, baseline=True, metrics={"eval_ndcg_at_10": 0.1, "eval_recall_at_10": 0.2})
# memory that grows with the micro-batch, as activations do: held (and touched) for the whole run
held = b"x" * (int(behaviour.get("mib_per_example", "0")) * int(args.get("micro_batch_size") or 1) << 20)
every = int(args.get("checkpoint_every") or 0)
fail_at = int(behaviour.get("fail_at_step", "-1"))
loss = 3.0 * (0.9 ** start)
for step in range(start + 1, total + 1):
    if stop["requested"]:
        save(step - 1)
        print("stopping on SIGTERM after step %d" % (step - 1), file=sys.stderr, flush=True)
        sys.exit(143)
    time.sleep(step_seconds)
    loss *= 0.9
    emit("progress", step=step, total_steps=total, epoch=step / total, loss=loss, learning_rate=1e-4,
         tokens=step * 64, tokens_per_second=64 / step_seconds)
    if step == fail_at:
        kind = behaviour.get("error_kind")
        print("Traceback (most recent call last):", file=sys.stderr)
        print("RuntimeError: simulated failure at step %d" % step, file=sys.stderr, flush=True)
        if kind:
            emit("error", kind=kind, message="simulated %s at step %d" % (kind, step))
        sys.exit(int(behaviour.get("exit_code", "1")))
    if every and step % every == 0:
        save(step)
    if step == total // 2 and behaviour.get("eval") == "true":
        emit("eval", step=step, metrics={"eval_loss": loss * 1.1})

if retrieval:
    emit("eval", step=total, final=True, metrics={"eval_ndcg_at_10": 0.7, "eval_recall_at_10": 0.9})
final = os.path.join(output_dir, "final")
os.makedirs(final, exist_ok=True)
write_adapter(final, total)
emit("completed", output=os.path.relpath(final, args["workdir"]))
linger_until = time.time() + float(behaviour.get("linger_seconds", "0"))
while time.time() < linger_until:
    if stop["requested"]:
        sys.exit(143)
    time.sleep(0.05)
