"""Makes a tiny random-initialised Llama and a character-level tokenizer, locally, with no download.

For smoke tests and the quickstart: every character of the given JSONL files (and printable ASCII) is a
token, so held-out words tokenize like training words; a small chat template marks roles with special
tokens, so the prompt/answer boundary tokenizes the same inside and outside a conversation (which DPO needs).

    python tiny_model.py ARGS.json   # {"output": DIR, "corpus": [FILE.jsonl, ...], "hidden": 128, "layers": 2}

The same tokenizer serves models of real shapes for measurements (benchmarks/gpu): optional keys
"model_type" (llama, qwen2, mistral, ...: any decoder transformers knows), "intermediate", "heads", "kv_heads",
"vocab_size" (the embedding rows, at least the tokenizer's; a real model's 32,000 or 151,936), "device"
(where the weights are initialised, cuda for big ones) and "dtype" (what is saved: fp32 by default, bf16).
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
    from transformers import AutoConfig, AutoModelForCausalLM, PreTrainedTokenizerFast

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
    heads = int(args.get("heads", 4))
    shape = dict(vocab_size=max(len(vocab), int(args.get("vocab_size", 0))), hidden_size=hidden,
                 intermediate_size=int(args.get("intermediate", 2 * hidden)),
                 num_hidden_layers=int(args.get("layers", 2)), num_attention_heads=heads,
                 num_key_value_heads=int(args.get("kv_heads", max(1, heads // 2))),
                 max_position_embeddings=int(args.get("max_positions", 512)), bos_token_id=vocab["<s>"],
                 eos_token_id=vocab["<|end|>"], pad_token_id=vocab["<pad>"], tie_word_embeddings=False)
    config = AutoConfig.for_model(args.get("model_type", "llama"), **shape)
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[args.get("dtype", "fp32")]
    torch.manual_seed(int(args.get("seed", 0)))
    with torch.device(args.get("device", "cpu")):
        model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    model.generation_config.pad_token_id = vocab["<pad>"]
    model.save_pretrained(args["output"])
    print(json.dumps({"vocab": len(vocab), "parameters": sum(p.numel() for p in model.parameters())}))


if __name__ == "__main__":
    main()
