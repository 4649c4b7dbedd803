"""A character bigram language model trained on chat data: the example third-party runner's trainer.

Standard library only. Reads its parameters from the JSON file named on the command line (the SDK's runner
writes it; nothing from the spec is pasted into code), speaks the SDK's events protocol (docs/PROTOCOL.md) by
appending JSON lines to the events file, saves a checkpoint every N steps and on SIGTERM, resumes from one.
One step is one pass of add-one-smoothed counting over a slice of the data; the loss is the cross-entropy of
the assistant messages under the counts so far.
"""
import json
import math
import os
import signal
import sys
import time

args = json.load(open(sys.argv[1], encoding="utf-8"))
events = open(args["events_file"], "a", encoding="utf-8")
stopping = []


def emit(kind, **fields):
    record = {"v": 1, "type": kind, "time": time.time()}
    record.update(fields)
    events.write(json.dumps(record) + "\n")
    events.flush()


signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))

texts = []
with open(args["training_data"], encoding="utf-8") as f:
    for line in f:
        if line.strip():
            texts += [m["content"] for m in json.loads(line)["messages"] if m["role"] == "assistant"
                      and isinstance(m["content"], str)]
steps = args["max_steps"]
every = args["every_steps"] or steps
counts, step = {}, 0
if args.get("resume_from"):
    state = json.load(open(os.path.join(args["resume_from"], "model.json"), encoding="utf-8"))
    counts, step = state["counts"], state["step"]


def save(folder):
    os.makedirs(folder, exist_ok=True)
    json.dump({"counts": counts, "step": step}, open(os.path.join(folder, "model.json"), "w", encoding="utf-8"))


def loss():
    total, n = 0.0, 0
    for text in texts:
        for a, b in zip("^" + text, text + "$"):
            row = counts.get(a, {})
            total -= math.log((row.get(b, 0) + 1) / (sum(row.values()) + 256))
            n += 1
    return total / max(n, 1)


emit("started", step=step, total_steps=steps, world_size=1)
while step < steps:
    for text in texts[step::steps]:
        for a, b in zip("^" + text, text + "$"):
            counts.setdefault(a, {})[b] = counts.setdefault(a, {}).get(b, 0) + 1
    step += 1
    emit("progress", step=step, total_steps=steps, loss=loss(), learning_rate=0.0)
    if step % every == 0 or stopping:
        folder = os.path.join(args["output_dir"], "checkpoint-%d" % step)
        save(folder)
        emit("checkpoint", step=step, path=folder)
    if stopping:
        sys.exit(143)
final = os.path.join(args["output_dir"], "final")
save(final)
emit("completed", output=final, step=step)
