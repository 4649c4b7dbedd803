"""Scores an embedding or reranker checkpoint and its base model on held-out data, for an evaluation on demand.

Pairs data is scored as retrieval (each anchor a query, its positive the relevant document, every positive and
negative the corpus); groups and scored pairs as re-ranking of each query's documents. The evaluators and figure
names are the trainer's (encoder_data.evaluator), with eval_ in front, as a job reports them.

    python encoder_eval.py ARGS.json  # {"base": DIR|ID, "checkpoint": DIR, "data": FILE, "format": "pairs",
                                      #  "report": FILE}
"""
import json
import math
import sys

from encoder_data import evaluator
from training_data import read_jsonl


def load(objective, folder, device):
    if objective == "embedding":
        from sentence_transformers import SentenceTransformer
        return SentenceTransformer(folder, device=device)
    from sentence_transformers import CrossEncoder
    return CrossEncoder(folder, num_labels=1, device=device)


def main():
    args = json.load(open(sys.argv[1], encoding="utf-8"))
    import torch
    fmt = args["format"]
    objective = "embedding" if fmt == "pairs" else "reranker"
    rows = read_jsonl(args["data"])
    scorer = evaluator(objective, {"validation_data": {"path": args["data"], "format": fmt}}, rows)
    if scorer is None:
        raise SystemExit(f"evaluate: {fmt} data gives the {objective} evaluator nothing to score")
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(0)
    print(f"evaluate: {len(rows)} {fmt} examples on {device}; the base model {args['base']} first", flush=True)
    base = {"eval_" + k: v for k, v in scorer(load(objective, args["base"], device)).items()}
    print("evaluate: the checkpoint", flush=True)
    tuned = {"eval_" + k: v for k, v in scorer(load(objective, args["checkpoint"], device)).items()}
    for name, value in list(tuned.items()) + list(base.items()):
        if not math.isfinite(value):
            raise SystemExit(f"evaluate: {name} came out {value}")
    with open(args["report"], "w", encoding="utf-8") as f:
        json.dump({"metrics": tuned, "base_metrics": base, "examples": len(rows), "device": device}, f)


if __name__ == "__main__":
    main()
