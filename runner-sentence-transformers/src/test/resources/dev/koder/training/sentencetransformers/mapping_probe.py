"""For the runner's argument-mapping test: builds what st_train.py trains with from trainer argument files the SDK
wrote (the loss, the training columns, the LoRA settings, the trainer arguments) without training, and writes what it
found as JSON. Arguments: the output file, then the argument files."""
import json
import sys

import st_train
from training_data import job_rows


class Warnings:
    def __init__(self):
        self.said = []

    def warning(self, message):
        self.said.append(message)


def probe(path):
    with open(path, encoding="utf-8") as f:
        args = json.load(f)
    spec = args["spec"]
    method, hp = spec["method"], spec["hyperparameters"]
    objective = method["objective"]
    train_rows, eval_rows = job_rows(spec)
    warnings = Warnings()
    if objective == "embedding":
        model, loss, train, _ = st_train.embedding_job(spec, method, hp, "cpu", train_rows, eval_rows, warnings)
    else:
        model, loss, train, _ = st_train.reranker_job(spec, method, hp, "cpu", spec["training_data"]["format"],
                                                      train_rows, eval_rows)
    found = {"loss": type(loss).__name__, "columns": train.column_names, "warnings": warnings.said}
    inner = getattr(loss, "loss", None)
    if inner is not None and type(loss).__name__ == "MatryoshkaLoss":
        found["inner_loss"] = type(inner).__name__
        found["matryoshka_dims"] = list(loss.matryoshka_dims)
        loss = inner
    if hasattr(loss, "mini_batch_size"):
        found["mini_batch_size"] = loss.mini_batch_size
    if method["adapter"] == "lora":
        lora = st_train.lora_config(method, objective, model)
        found["lora"] = {"r": lora.r, "alpha": lora.lora_alpha, "target_modules": sorted(lora.target_modules)
                         if not isinstance(lora.target_modules, str) else lora.target_modules,
                         "modules_to_save": lora.modules_to_save, "task_type": str(lora.task_type)}
    common = st_train.arguments(args, spec, train_rows, eval_rows, spec.get("retrieval_data") is not None, 5)
    found["arguments"] = {k: v for k, v in common.items() if isinstance(v, (str, int, float, bool)) or v is None}
    return found


def main():
    out = [probe(p) for p in sys.argv[2:]]
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
