"""Makes a tiny random-initialised Llama and a character-level tokenizer, locally, with no download.

For smoke tests and the quickstart: every character of the given JSONL files (and printable ASCII) is a
token, so held-out words tokenize like training words; a small chat template marks roles with special
tokens, so the prompt/answer boundary tokenizes the same inside and outside a conversation (which DPO needs).

    python tiny_model.py ARGS.json   # {"output": DIR, "corpus": [FILE.jsonl, ...], "hidden": 128, "layers": 2}
"""
import json
import string
import sys

SPECIALS = ["<unk>", "<s>", "<pad>", "<|system|>", "<|user|>", "<|assistant|>", "<|tool|>", "<|end|>"]
TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
            "{% if add_generation_prompt %}<|assistant|>{% endif %}")


def texts(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from texts(v)
    elif isinstance(value, list):
        for v in value:
            yield from texts(v)


def main():
    args = json.load(open(sys.argv[1], encoding="utf-8"))
    import torch
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    chars = set(string.printable) - set("\x0b\x0c")
    for path in args.get("corpus", []):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    for text in texts(json.loads(line)):
                        chars.update(text)
    vocab = {token: i for i, token in enumerate(SPECIALS)}
    for c in sorted(chars):
        vocab.setdefault(c, len(vocab))
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(pattern=Regex("."), behavior="isolated")
    core.decoder = decoders.Fuse()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, unk_token="<unk>", bos_token="<s>",
                                        eos_token="<|end|>", pad_token="<pad>")
    tokenizer.add_special_tokens({"additional_special_tokens": SPECIALS[3:]})
    tokenizer.chat_template = TEMPLATE
    tokenizer.save_pretrained(args["output"])

    hidden = int(args.get("hidden", 128))
    config = LlamaConfig(vocab_size=len(vocab), hidden_size=hidden, intermediate_size=2 * hidden,
                         num_hidden_layers=int(args.get("layers", 2)), num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=int(args.get("max_positions", 512)), bos_token_id=vocab["<s>"],
                         eos_token_id=vocab["<|end|>"], pad_token_id=vocab["<pad>"], tie_word_embeddings=False)
    torch.manual_seed(int(args.get("seed", 0)))
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = vocab["<pad>"]
    model.save_pretrained(args["output"])
    print(json.dumps({"vocab": len(vocab), "parameters": sum(p.numel() for p in model.parameters())}))


if __name__ == "__main__":
    main()
