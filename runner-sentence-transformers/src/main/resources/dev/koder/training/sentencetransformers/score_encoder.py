"""Scores an embedding model or a reranker on a retrieval set (or validation data) with the same evaluators and names
the trainer reports, and writes the figures as JSON: for the SDK's tests and its embedding quickstart, and to check
that a registered model reproduces the figures of its job.

Arguments (JSON file): model (a sentence-transformers folder, an adapter folder included), objective (embedding or
reranker), retrieval_data and validation_data as in a job spec, output (the JSON file to write).
"""
import json
import sys

from encoder_data import evaluator, write_json
from training_data import read_jsonl


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        args = json.load(f)
    spec = {k: args.get(k) for k in ("retrieval_data", "validation_data")}
    eval_rows = read_jsonl(spec["validation_data"]["path"]) if spec.get("validation_data") else None
    scorer = evaluator(args["objective"], spec, eval_rows)
    if scorer is None:
        raise SystemExit("nothing to score on: give retrieval_data or validation_data")
    if args["objective"] == "embedding":
        from sentence_transformers import SentenceTransformer
        model = SentenceTransformer(args["model"], device="cpu", local_files_only=True)
    else:
        from sentence_transformers import CrossEncoder
        model = CrossEncoder(args["model"], num_labels=1, device="cpu", local_files_only=True)
    figures = scorer(model)
    write_json(args["output"], figures)
    print(json.dumps(figures, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
