"""Encoder data of the Training SDK: the rows of pairs, scored-pairs and groups files in the layouts the
sentence-transformers trainers take, the retrieval evaluation set, and the retrieval and re-ranking metrics under
the SDK's names (see docs/DATASETS.md and docs/PROTOCOL.md).

The metrics are named ndcg_at_10, mrr_at_10, map_at_100 and recall_at_1/10/100 (MLflow refuses '@' in a metric's
name). Both the trainer and the scoring tool use this module, so a figure reported during training is the figure a
model scored later reproduces.
"""
import json
import random

from training_data import read_jsonl
from training_events import DatasetError

RETRIEVAL_K = {"ndcg": [10], "mrr": [10], "map": [100], "recall": [1, 10, 100]}
# Re-ranking: each query's candidates are its judged documents and up to this many other documents of the corpus,
# drawn with a fixed seed, so every evaluation of a job ranks the same lists.
RERANK_OTHERS = 20


def pair_rows(rows):
    """Pairs data as columns anchor, positive, negative_1..k: k is the fewest negatives any row has (the trainer's
    batches need one layout), and what a row has beyond it is dropped; returns (rows, k, dropped)."""
    k = min(len(r.get("negatives") or []) for r in rows)
    dropped = sum(len(r.get("negatives") or []) - k for r in rows)
    out = []
    for r in rows:
        row = {"anchor": r["anchor"], "positive": r["positive"]}
        for i, n in enumerate((r.get("negatives") or [])[:k]):
            row["negative_%d" % (i + 1)] = n
        out.append(row)
    return out, k, dropped


def scored_rows(rows):
    return [{"query": r["query"], "document": r["document"], "label": float(r["label"])} for r in rows]


def group_rows(rows):
    return [{"query": r["query"], "documents": list(r["documents"]), "labels": [float(x) for x in r["labels"]]}
            for r in rows]


def flattened_groups(rows):
    """Groups as scored pairs, for the pointwise loss."""
    return [{"query": r["query"], "document": d, "label": float(l)}
            for r in rows for d, l in zip(r["documents"], r["labels"])]


def _by_id(path, what):
    out = {}
    for number, row in enumerate(read_jsonl(path), 1):
        if not isinstance(row, dict) or not isinstance(row.get("id"), str) or not isinstance(row.get("text"), str):
            raise DatasetError("%s:%d: a %s line is {\"id\": \"...\", \"text\": \"...\"}" % (path, number, what))
        title = row.get("title")
        out[row["id"]] = (title + " " + row["text"]) if isinstance(title, str) and title else row["text"]
    return out


def retrieval_set(spec):
    """The job's retrieval evaluation set as (queries, corpus, relevant) with relevant[query] = {doc: relevance > 0};
    from retrieval_data, else built from validation pairs (each anchor a query, its positive the relevant document,
    every positive and negative the corpus); None without either."""
    data = spec.get("retrieval_data")
    if data:
        folder = data.get("path")
        queries = _by_id(data.get("queries") or folder + "/queries.jsonl", "query")
        corpus = _by_id(data.get("corpus") or folder + "/corpus.jsonl", "corpus")
        path = data.get("judgements") or folder + "/judgements.jsonl"
        relevant = {}
        for number, row in enumerate(read_jsonl(path), 1):
            q, d, rel = row.get("query_id"), row.get("document_id"), row.get("relevance", 1)
            if q not in queries or d not in corpus:
                raise DatasetError("%s:%d: query %r or document %r is not in the queries or the corpus"
                                   % (path, number, q, d))
            if rel > 0:
                relevant.setdefault(q, {})[d] = rel
        queries = {q: t for q, t in queries.items() if q in relevant}
        return queries, corpus, relevant
    validation = spec.get("validation_data")
    if not validation or validation["format"] != "pairs":
        return None
    rows = read_jsonl(validation["path"])
    docs, queries, relevant = {}, {}, {}
    for i, r in enumerate(rows):
        for text in [r["positive"]] + list(r.get("negatives") or []):
            docs.setdefault(text, "d%d" % len(docs))
        queries["q%d" % i] = r["anchor"]
        relevant["q%d" % i] = {docs[r["positive"]]: 1}
    return queries, {d: t for t, d in docs.items()}, relevant


def rerank_samples(spec, eval_rows):
    """Each query's candidates for re-ranking: from the retrieval set (judged documents and RERANK_OTHERS others), else
    from the validation data (a group's documents, or the scored pairs of one query); None without either."""
    retrieval = retrieval_set(spec) if spec.get("retrieval_data") else None
    if retrieval is not None:
        queries, corpus, relevant = retrieval
        rng = random.Random(0)
        ids = sorted(corpus)
        samples = []
        for q in sorted(queries):
            judged = sorted(relevant[q])
            others = [d for d in rng.sample(ids, min(len(ids), RERANK_OTHERS + len(judged))) if d not in relevant[q]]
            samples.append({"query": queries[q], "positive": [corpus[d] for d in judged],
                            "documents": [corpus[d] for d in judged + others[:RERANK_OTHERS]]})
        return samples
    if eval_rows is None:
        return None
    groups = {}
    if spec["validation_data"]["format"] == "groups":
        pairs = [(r["query"], d, l) for r in eval_rows for d, l in zip(r["documents"], r["labels"])]
    else:
        pairs = [(r["query"], r["document"], r["label"]) for r in eval_rows]
    for q, d, l in pairs:
        groups.setdefault(q, []).append((d, l))
    samples = []
    for q, docs in groups.items():
        positives = [d for d, l in docs if l >= 0.5]
        if positives:
            samples.append({"query": q, "positive": positives, "documents": [d for d, _ in docs]})
    return samples or None


def _renamed(metrics):
    """The SDK's names of sentence-transformers' figures: retrieval_cosine_ndcg@10 -> ndcg_at_10; others dropped."""
    out = {}
    for key, value in metrics.items():
        name, _, k = key.rsplit("_", 1)[-1].partition("@")
        if k and name in RETRIEVAL_K:
            out["%s_at_%s" % (name, k)] = float(value)
    return out


def evaluator(objective, spec, eval_rows):
    """A sentence-transformers evaluator whose figures carry the SDK's names, or None when the job has nothing to
    score on."""
    from sentence_transformers.base.evaluation import BaseEvaluator

    if objective == "embedding":
        retrieval = retrieval_set(spec)
        if retrieval is None:
            return None
        from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator
        queries, corpus, relevant = retrieval
        inner = InformationRetrievalEvaluator(
            queries, corpus, {q: set(d) for q, d in relevant.items()}, mrr_at_k=RETRIEVAL_K["mrr"],
            ndcg_at_k=RETRIEVAL_K["ndcg"], map_at_k=RETRIEVAL_K["map"], accuracy_at_k=[1],
            precision_recall_at_k=RETRIEVAL_K["recall"], name="retrieval", write_csv=False,
            score_functions=None, main_score_function="cosine")
        primary = "ndcg_at_10"
    else:
        samples = rerank_samples(spec, eval_rows)
        if samples is None:
            return None
        from sentence_transformers.cross_encoder.evaluation import CrossEncoderRerankingEvaluator
        inner = CrossEncoderRerankingEvaluator(samples, at_k=10, name="rerank", write_csv=False,
                                               always_rerank_positives=True)
        primary = "ndcg_at_10"

    class Renamed(BaseEvaluator):
        def __init__(self):
            super().__init__()
            self.primary_metric = primary
            self.greater_is_better = True

        def __call__(self, model, output_path=None, epoch=-1, steps=-1):
            figures = inner(model)
            if objective == "embedding":
                # only the cosine figures: the score function the model is trained for
                figures = {k: v for k, v in figures.items() if "_cosine_" in k}
            else:
                figures = {k: v for k, v in figures.items() if "_base_" not in k}
            return _renamed(figures)

    return Renamed()


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, sort_keys=True)
