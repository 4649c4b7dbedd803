"""Makes the test tokenizer and the counts the Java tests check DJL against.

Trains a small byte-level BPE tokenizer with the Hugging Face `tokenizers` library on the sample texts
below, saves tokenizer.json, and records how many tokens Python's tokenizers gives for each probe text
(no special tokens, no truncation) in expected-counts.json. Run it again after changing the texts:

    python3 make_tokenizer.py
"""
import json
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

HERE = Path(__file__).parent

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "Fine-tuning adapts a pretrained model to a task with a small dataset.",
    "User: What is the capital of France? Assistant: Paris is the capital of France.",
    "Low-rank adapters train a few million parameters instead of billions.",
    "Reverse the letters: abcd -> dcba, wxyz -> zyxw, hello -> olleh.",
    "Preference data pairs a chosen answer with a rejected one.",
] * 20

PROBES = [
    "",
    "hello",
    "The quick brown fox jumps over the lazy dog.",
    "Ünïcödé text — with dashes, emoji 🚀 and 漢字.",
    "   leading and trailing spaces   ",
    "a" * 3000,
    " ".join(["token"] * 700),
]


def main():
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["<s>", "</s>", "<pad>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(CORPUS, trainer)
    tokenizer.save(str(HERE / "tokenizer.json"))
    counts = [{"text": t, "tokens": len(tokenizer.encode(t, add_special_tokens=False).ids)} for t in PROBES]
    (HERE / "expected-counts.json").write_text(json.dumps(counts, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
