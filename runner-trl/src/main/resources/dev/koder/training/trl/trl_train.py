"""The TRL trainer of the Training SDK: SFT (full or LoRA), QLoRA and DPO, one job per process.

Reads everything from the JSON file named on the command line (written by the SDK: the job spec, the paths
of this attempt); nothing from the spec is ever pasted into code. Reports through the events protocol
(training_events.py), saves checkpoints every N steps or per epoch keeping the last K, resumes from a
checkpoint with the step count continuing, and writes the final adapter or model with its tokenizer to
output/final.
"""
import json
import math
import os
import sys

from training_events import ConfigError, DatasetError, EventWriter, StopSignal, TrainingEvents, run_main


def read_jsonl(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except ValueError as e:
                    raise DatasetError("%s:%d: not valid JSON: %s" % (path, number, e))
    if not rows:
        raise DatasetError("%s holds no examples" % path)
    return rows


def ids_of(encoded):
    return encoded["input_ids"] if hasattr(encoded, "keys") else list(encoded)


def alpaca_messages(row):
    text = row["instruction"] + ("\n\n" + row["input"] if row.get("input") else "")
    return [{"role": "user", "content": text}, {"role": "assistant", "content": row["output"]}]


def plain_message(message):
    """A message without the SDK's own keys (weight), content flattened from text parts."""
    out = {k: v for k, v in message.items() if k != "weight"}
    if isinstance(out.get("content"), list):
        out["content"] = "".join(part.get("text", "") for part in out["content"])
    return out


class SftEncoder:
    """Tokenizes SFT examples with loss only on what the model should learn to write.

    Chat (and alpaca, as chat): the tokenizer's chat template is applied to growing prefixes of the
    conversation, so every token is attributed to its message whatever the template looks like; assistant
    messages are trained on unless their weight is 0, and their role header never is. Prompt-completion:
    prompt, completion and EOS; loss on the completion and EOS.
    """

    def __init__(self, tokenizer, fmt):
        self.tok = tokenizer
        self.fmt = fmt
        if fmt in ("chat", "alpaca") and not getattr(tokenizer, "chat_template", None):
            raise ConfigError("the base model's tokenizer has no chat template, so %s data cannot be formatted; "
                              "use prompt-completion data or a model with a chat template" % fmt)

    def __call__(self, row):
        if self.fmt == "prompt-completion":
            return self.prompt_completion(row["prompt"], row["completion"])
        messages = row["messages"] if self.fmt == "chat" else alpaca_messages(row)
        return self.chat(messages, row.get("tools"))

    def prompt_completion(self, prompt, completion):
        prompt_ids = ids_of(self.tok(prompt))
        completion_ids = ids_of(self.tok(completion, add_special_tokens=False))
        if self.tok.eos_token_id is not None:
            completion_ids = completion_ids + [self.tok.eos_token_id]
        return {"input_ids": prompt_ids + completion_ids,
                "labels": [-100] * len(prompt_ids) + completion_ids}

    def template(self, messages, tools, generation_prompt=False):
        kwargs = {"tokenize": True, "add_generation_prompt": generation_prompt}
        if tools:
            kwargs["tools"] = tools
        return ids_of(self.tok.apply_chat_template([plain_message(m) for m in messages], **kwargs))

    def chat(self, messages, tools=None):
        ids, labels = [], []
        for i, message in enumerate(messages):
            trained = message["role"] == "assistant" and message.get("weight", 1) != 0
            if message["role"] == "assistant":
                head = self.template(messages[:i], tools, generation_prompt=True) if i else []
                if head[:len(ids)] == ids and len(head) >= len(ids):
                    labels += [-100] * (len(head) - len(ids))
                    ids = list(head)
            full = self.template(messages[:i + 1], tools)
            if full[:len(ids)] != ids:
                raise ConfigError("the chat template does not render conversations prefix by prefix, so "
                                  "assistant turns cannot be located; use prompt-completion data")
            delta = full[len(ids):]
            labels += delta if trained else [-100] * len(delta)
            ids = list(full)
        if all(label == -100 for label in labels):
            raise DatasetError("an example has no assistant tokens to train on")
        return {"input_ids": ids, "labels": labels}


def preference_rows(rows):
    """TRL's preference layout: conversational for OpenAI-style rows, plain strings for prompt/chosen/rejected."""
    out = []
    for row in rows:
        if "input" in row:
            out.append({"prompt": [plain_message(m) for m in row["input"]["messages"]],
                        "chosen": [plain_message(m) for m in row["preferred_output"]],
                        "rejected": [plain_message(m) for m in row["non_preferred_output"]]})
        else:
            out.append({"prompt": row["prompt"], "chosen": row["chosen"], "rejected": row["rejected"]})
    return out


def main(ARGS, EVENTS, STOP):  # noqa: N803 - the three are this process's globals
    import torch
    import transformers
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer

    spec = ARGS["spec"]
    method = spec["method"]
    hp = spec["hyperparameters"]
    resources = spec["resources"]
    objective, adapter = method["objective"], method["adapter"]
    cuda = ARGS["device"] == "cuda"
    # Seed before the model and the adapter are made: peft initialises LoRA weights when the trainer wraps
    # the model, before the Trainer's own seeding, so without this the same spec trains differently each run.
    transformers.set_seed(hp["seed"])
    if not cuda:
        torch.set_num_threads(max(1, os.cpu_count() or 1))

    precision = hp.get("precision", "auto")
    if precision == "auto":
        precision = "bf16" if cuda and ARGS.get("bf16_supported") else "fp32"
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[precision]

    base = spec["base_model"]
    tokenizer = AutoTokenizer.from_pretrained(base)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token

    load = {}
    major = int(transformers.__version__.split(".")[0])
    load["dtype" if major >= 5 else "torch_dtype"] = dtype
    if adapter == "qlora":
        from transformers import BitsAndBytesConfig
        q = method["quantization"]
        load["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type=q["type"], bnb_4bit_use_double_quant=q["double_quant"],
            bnb_4bit_compute_dtype={"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[
                q["compute_dtype"]])
        load["device_map"] = {"": 0}
    model = AutoModelForCausalLM.from_pretrained(base, **load)

    peft_config = None
    if adapter in ("lora", "qlora"):
        from peft import LoraConfig
        lora = method["lora"]
        targets = lora["target_modules"]
        peft_config = LoraConfig(r=lora["rank"], lora_alpha=lora["alpha"], lora_dropout=lora["dropout"],
                                 target_modules="all-linear" if targets == ["all-linear"] else targets,
                                 task_type="CAUSAL_LM")
        if adapter == "qlora":
            from peft import prepare_model_for_kbit_training
            model = prepare_model_for_kbit_training(
                model, use_gradient_checkpointing=hp["gradient_checkpointing"])

    fmt = spec["training_data"]["format"]
    train_rows = read_jsonl(spec["training_data"]["path"])
    eval_rows = read_jsonl(spec["validation_data"]["path"]) if spec.get("validation_data") else None
    micro, accumulation = hp["micro_batch_size"], hp["gradient_accumulation_steps"]
    world = max(1, resources.get("gpus") or 1) if cuda else 1
    steps_per_epoch = max(1, math.ceil(len(train_rows) / (micro * world)) // accumulation)
    total = hp.get("max_steps") or steps_per_epoch * hp["epochs"]
    logging_steps = max(1, total // 100)
    checkpoints = spec["checkpoints"]

    common = dict(
        output_dir=ARGS["output_dir"], per_device_train_batch_size=micro, per_device_eval_batch_size=micro,
        gradient_accumulation_steps=accumulation, learning_rate=hp["learning_rate"],
        lr_scheduler_type=hp["scheduler"], weight_decay=hp["weight_decay"], max_grad_norm=hp["max_grad_norm"],
        seed=hp["seed"], logging_steps=logging_steps, report_to="none", disable_tqdm=True,
        save_total_limit=checkpoints["keep_last"], bf16=precision == "bf16", fp16=precision == "fp16",
        gradient_checkpointing=hp["gradient_checkpointing"], dataloader_num_workers=0, use_cpu=not cuda,
        max_length=hp["max_seq_length"], include_num_input_tokens_seen=True if major < 5 else "non_padding")
    if hp["gradient_checkpointing"]:
        common["gradient_checkpointing_kwargs"] = {"use_reentrant": False}
    if hp.get("max_steps"):
        common["max_steps"] = hp["max_steps"]
    else:
        common["num_train_epochs"] = hp["epochs"]
    if hp.get("warmup_steps") is not None:
        common["warmup_steps"] = hp["warmup_steps"]
    elif major >= 5:
        common["warmup_steps"] = min(hp["warmup_ratio"], 0.999)
    else:
        common["warmup_ratio"] = hp["warmup_ratio"]
    if checkpoints.get("every_steps"):
        common.update(save_strategy="steps", save_steps=checkpoints["every_steps"])
    else:
        common["save_strategy"] = "epoch"
    if eval_rows is not None:
        if checkpoints.get("every_steps"):
            common.update(eval_strategy="steps", eval_steps=checkpoints["every_steps"])
        else:
            common["eval_strategy"] = "epoch"

    events = TrainingEvents(EVENTS, STOP)
    if objective == "sft":
        from trl import SFTConfig, SFTTrainer
        if hp["packing"]:
            try:
                import flash_attn  # noqa: F401
            except ImportError:
                EVENTS.warning("packing without flash attention trains padding-free on one flattened sequence "
                               "with SDPA: slower, and packed examples attend to each other")
        encode = SftEncoder(tokenizer, fmt)
        train = Dataset.from_list([encode(r) for r in train_rows])
        evaluation = Dataset.from_list([encode(r) for r in eval_rows]) if eval_rows is not None else None
        config = SFTConfig(packing=hp["packing"], **common)
        trainer = SFTTrainer(model=model, args=config, train_dataset=train, eval_dataset=evaluation,
                             processing_class=tokenizer, peft_config=peft_config, callbacks=[events])
    else:
        from trl import DPOConfig, DPOTrainer
        dpo = method["dpo"]
        train = Dataset.from_list(preference_rows(train_rows))
        evaluation = Dataset.from_list(preference_rows(eval_rows)) if eval_rows is not None else None
        config = DPOConfig(beta=dpo["beta"], loss_type=[dpo["loss_type"]], **common)
        trainer = DPOTrainer(model=model, args=config, train_dataset=train, eval_dataset=evaluation,
                             processing_class=tokenizer, peft_config=peft_config, callbacks=[events])

    trainer.train(resume_from_checkpoint=ARGS.get("resume_from"))
    if events.nan_loss is not None:
        sys.exit(1)
    if STOP.requested:
        sys.exit(StopSignal.EXIT_STOPPED)
    final = os.path.join(ARGS["output_dir"], "final")
    trainer.save_model(final)
    tokenizer.save_pretrained(final)
    EVENTS.emit("completed", output=final, step=trainer.state.global_step)


if __name__ == "__main__":
    args = json.load(open(sys.argv[1], encoding="utf-8"))
    events = EventWriter(args["events_file"])
    stop = StopSignal.install(events)
    run_main(events, lambda: main(args, events, stop))
