"""`python -m axolotl.cli.train CONFIG` of the stand-in: reads the SDK's config and trains (SFT or DPO, LoRA or
full) with transformers, peft and TRL, calling the plugins as axolotl does. Not axolotl; see README.md."""
import json
import os
import sys

import yaml

from axolotl.integrations.base import PluginManager
from axolotl.utils.dict import DictDefault


def rows(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main(path):
    import torch
    from transformers import (AutoModelForCausalLM, AutoTokenizer, DataCollatorForSeq2Seq, Trainer,
                              TrainingArguments)

    with open(path, encoding="utf-8") as f:
        cfg = DictDefault(yaml.safe_load(f))
    # Like axolotl: for adapter lora its Triton LoRA kernels are on unless turned off, and they need CUDA.
    if cfg.adapter == "lora" and not torch.cuda.is_available():
        for key in ("lora_mlp_kernel", "lora_qkv_kernel", "lora_o_kernel"):
            if cfg.get(key) is not False:
                raise AssertionError("%s needs CUDA: set it to false on a CPU" % key)
    manager = PluginManager.get_instance()
    for name in cfg.plugins or []:
        manager.register(name)
    for plugin in manager.plugins.values():
        plugin.register(cfg)

    torch.manual_seed(cfg.seed or 42)
    # as axolotl: its log in the output folder, which is not the model's
    os.makedirs(cfg.output_dir, exist_ok=True)
    with open(os.path.join(cfg.output_dir, "debug.log"), "a", encoding="utf-8") as log:
        log.write("axolotl stand-in: training\n")
    tokenizer = AutoTokenizer.from_pretrained(cfg.base_model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(cfg.base_model, attn_implementation=cfg.attn_implementation)
    peft_config = None
    if cfg.adapter in ("lora", "qlora"):
        from peft import LoraConfig
        peft_config = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                                 target_modules="all-linear" if cfg.lora_target_linear else cfg.lora_target_modules,
                                 task_type="CAUSAL_LM")
    common = dict(output_dir=cfg.output_dir, per_device_train_batch_size=cfg.micro_batch_size,
                  gradient_accumulation_steps=cfg.gradient_accumulation_steps,
                  learning_rate=float(cfg.learning_rate), lr_scheduler_type=cfg.lr_scheduler,
                  max_steps=cfg.max_steps or -1, num_train_epochs=cfg.num_epochs or 1,
                  logging_steps=cfg.logging_steps or 1, save_total_limit=cfg.save_total_limit, report_to="none",
                  disable_tqdm=True, use_cpu=not torch.cuda.is_available(), seed=cfg.seed or 42,
                  save_strategy="steps" if cfg.save_steps else "epoch", save_steps=cfg.save_steps or 500,
                  # as axolotl: one dataloader worker process a GPU, at least one, unless the config says otherwise
                  # (a worker dies of a SIGTERM sent to the process group before the trainer can save)
                  dataloader_num_workers=cfg.dataloader_num_workers if cfg.dataloader_num_workers is not None
                  else max(1, torch.cuda.device_count()))
    data = rows(cfg.datasets[0]["path"])
    if cfg.rl == "dpo":
        from trl import DPOConfig, DPOTrainer
        train = [{"prompt": r["messages"], "chosen": [r["chosen"]], "rejected": [r["rejected"]]} for r in data]
        from datasets import Dataset
        args = DPOConfig(beta=cfg.rl_beta or 0.1, max_length=cfg.sequence_len, **common)
        trainer = DPOTrainer(model=model, args=args, train_dataset=Dataset.from_list(train),
                             processing_class=tokenizer, peft_config=peft_config)
    else:
        if peft_config is not None:
            from peft import get_peft_model
            model = get_peft_model(model, peft_config)
        encoded = []
        for r in data:
            ids = tokenizer.apply_chat_template(r["messages"], tokenize=True)
            ids = list(ids["input_ids"] if hasattr(ids, "keys") else ids)[:cfg.sequence_len]
            encoded.append({"input_ids": ids, "labels": list(ids)})
        trainer = Trainer(model=model, args=TrainingArguments(**common), train_dataset=encoded,
                          data_collator=DataCollatorForSeq2Seq(tokenizer, padding=True))
    for callback in manager.add_callbacks_post_trainer(cfg, trainer):
        trainer.add_callback(callback)
    trainer.train(resume_from_checkpoint=cfg.resume_from_checkpoint)
    manager.post_train(cfg, trainer.model)
    trainer.save_model(cfg.output_dir)
    tokenizer.save_pretrained(cfg.output_dir)
    manager.post_train_unload(cfg)


if __name__ == "__main__":
    main(sys.argv[1])
