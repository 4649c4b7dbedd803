"""Makes a tiny random-initialised BERT encoder with a word-level tokenizer, and a synthetic retrieval task for it,
with no download: for the SDK's tests and its embedding quickstart.

The task: a vocabulary of concepts, each with two made-up words, one that queries use and one that documents use.
A document mentions three concepts in document words; its queries name two of them in query words. Nothing in the
words tells which query word goes with which document word, so an untrained model ranks at random; a model that has
learnt the pairs from the training queries finds the documents of held-out queries, which name combinations of
concepts it has not seen together.

Arguments (JSON file): output (the model folder), task (a folder for the data, optional), words ("document", the
default, or "query": see make_task), hidden, layers, seed, init_range (by default
0.02 for "document" words, 0.2 for "query" words).
"""
import json
import os
import random
import sys

SYLLABLES = ["ka", "lo", "mi", "ru", "te", "so", "na", "vi", "pe", "du", "ge", "ha"]
FILLER = ["a", "note", "about", "and"]
# BERT's own initialisation range suits a bi-encoder, whose mean-pooled embeddings learn from it at once. It leaves a
# model this small with a [CLS] state that barely depends on the text, so that a new score head on it starts with
# gradients too small to learn from: the cross-encoder's task ("query" words) starts from ten times that.
INIT_RANGE = {"document": 0.02, "query": 0.2}


def concepts(count, seed):
    rng = random.Random(seed)
    used, out = set(), []
    while len(out) < count:
        q = "".join(rng.choice(SYLLABLES) for _ in range(2))
        d = "".join(rng.choice(SYLLABLES) for _ in range(3))
        if q not in used and d not in used:
            used.update((q, d))
            out.append((q, d))
    return out


def make_model(folder, vocab, hidden, layers, seed, init_range):
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    os.makedirs(folder, exist_ok=True)
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    ids = {t: i for i, t in enumerate(specials + sorted(set(vocab) - set(specials)))}
    tok = Tokenizer(models.WordLevel(ids, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", model_max_length=128)
    fast.save_pretrained(folder)
    config = BertConfig(vocab_size=len(ids), hidden_size=hidden, num_hidden_layers=layers,
                        num_attention_heads=max(1, hidden // 32), intermediate_size=4 * hidden,
                        max_position_embeddings=128, type_vocab_size=2, hidden_dropout_prob=0.0,
                        attention_probs_dropout_prob=0.0, initializer_range=init_range)
    torch.manual_seed(seed)
    BertModel(config).save_pretrained(folder)


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")


def make_task(folder, pairs, documents, held_out, seed, words):
    """pairs.jsonl and groups.jsonl to train on (the first documents' queries), scored-pairs.jsonl, and retrieval/
    (queries of the last held_out documents, the whole corpus, the judgements). Documents are written in document
    words, or with words "query" in the queries' own words: a task of matching words, which a tiny cross-encoder
    learns in seconds, where pairing two vocabularies through attention takes it far longer."""
    rng = random.Random(seed)
    os.makedirs(os.path.join(folder, "retrieval"), exist_ok=True)
    docs = [rng.sample(range(len(pairs)), 3) for _ in range(documents)]
    form = 0 if words == "query" else 1
    text = ["a note about " + " and ".join(pairs[c][form] for c in cs) for cs in docs]

    def query(cs):
        return " ".join(pairs[c][0] for c in rng.sample(cs, 2))

    trained = range(documents - held_out)
    train_pairs, groups, scored = [], [], []
    for i in trained:
        for _ in range(2):
            q = query(docs[i])
            train_pairs.append({"anchor": q, "positive": text[i]})
            others = [text[k] for k in rng.sample(trained, 7) if k != i][:6]
            candidates = [(text[i], 1)] + [(o, 0) for o in others]
            rng.shuffle(candidates)
            groups.append({"query": q, "documents": [c for c, _ in candidates], "labels": [l for _, l in candidates]})
            scored += [{"query": q, "document": c, "label": float(l)} for c, l in candidates[:4]]
    write_jsonl(os.path.join(folder, "pairs.jsonl"), train_pairs)
    write_jsonl(os.path.join(folder, "groups.jsonl"), groups)
    write_jsonl(os.path.join(folder, "scored-pairs.jsonl"), scored)
    queries = [{"id": "q%d" % i, "text": query(docs[i])} for i in range(documents - held_out, documents)]
    write_jsonl(os.path.join(folder, "retrieval", "queries.jsonl"), queries)
    write_jsonl(os.path.join(folder, "retrieval", "corpus.jsonl"),
                [{"id": "d%d" % i, "text": t} for i, t in enumerate(text)])
    write_jsonl(os.path.join(folder, "retrieval", "judgements.jsonl"),
                [{"query_id": "q%d" % i, "document_id": "d%d" % i, "relevance": 1}
                 for i in range(documents - held_out, documents)])
    return len(train_pairs), len(queries)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        args = json.load(f)
    seed = int(args.get("seed", 7))
    pairs = concepts(int(args.get("concepts", 60)), seed)
    vocab = FILLER + [w for p in pairs for w in p]
    words = args.get("words", "document")
    make_model(args["output"], vocab, int(args.get("hidden", 64)), int(args.get("layers", 2)), seed,
               float(args.get("init_range", INIT_RANGE[words])))
    if args.get("task"):
        n, q = make_task(args["task"], pairs, int(args.get("documents", 300)), int(args.get("held_out", 60)), seed,
                         words)
        print("task: %d training pairs, %d held-out queries in %s" % (n, q, args["task"]), flush=True)
    print("tiny encoder: %s" % args["output"], flush=True)


if __name__ == "__main__":
    main()
