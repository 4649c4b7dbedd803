"""A stand-in for unsloth in the SDK tests, over transformers and peft; see README.md beside this package."""
import json
import os

__version__ = "2026.10.9"


def _record(call, **arguments):
    with open("unsloth-standin-calls.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"call": call, "arguments": arguments}, default=str) + "\n")


def is_bfloat16_supported():
    import torch
    return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())


def PatchDPOTrainer():  # noqa: N802 - unsloth's name
    _record("PatchDPOTrainer")


class FastLanguageModel:
    @staticmethod
    def from_pretrained(model_name, max_seq_length=None, dtype=None, load_in_4bit=False, full_finetuning=False,
                        **kwargs):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        _record("from_pretrained", model_name=model_name, max_seq_length=max_seq_length, dtype=dtype,
                load_in_4bit=load_in_4bit, full_finetuning=full_finetuning)
        if load_in_4bit and not torch.cuda.is_available():
            raise RuntimeError("Unsloth: 4-bit loading needs a CUDA GPU")
        model = AutoModelForCausalLM.from_pretrained(model_name)
        model.max_seq_length = max_seq_length
        return model, AutoTokenizer.from_pretrained(model_name)

    @staticmethod
    def get_peft_model(model, r=16, target_modules=None, lora_alpha=16, lora_dropout=0.0, bias="none",
                       use_gradient_checkpointing="unsloth", random_state=3407, **kwargs):
        import torch
        from peft import LoraConfig, get_peft_model
        _record("get_peft_model", r=r, target_modules=target_modules, lora_alpha=lora_alpha,
                lora_dropout=lora_dropout, bias=bias, use_gradient_checkpointing=use_gradient_checkpointing,
                random_state=random_state)
        torch.manual_seed(random_state)
        # as strict as unsloth: a target module the model lacks is refused, not dropped quietly
        present = {name.split(".")[-1] for name, _ in model.named_modules()}
        missing = [t for t in target_modules if t not in present]
        if missing:
            raise ValueError("Unsloth: target modules %s are not in the model (it has %s)"
                             % (missing, sorted(p for p in present if p.endswith("_proj"))))
        config = LoraConfig(r=r, lora_alpha=lora_alpha, lora_dropout=lora_dropout, bias=bias,
                            target_modules=list(target_modules), task_type="CAUSAL_LM")
        peft_model = get_peft_model(model, config)
        if use_gradient_checkpointing:
            peft_model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
            peft_model.enable_input_require_grads()
        return peft_model
