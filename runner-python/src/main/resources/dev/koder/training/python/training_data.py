"""What the SDK's Python trainers share about data and the trainer's arguments (see docs/PROTOCOL.md).

Every trainer that trains with a Hugging Face / TRL trainer reads the job's JSONL files, turns SFT rows into
token ids and labels with loss only on what the model should learn to write, turns preference rows into TRL's
layout, and derives the same TrainingArguments from the spec, so a spec trains the same way whichever runner
runs it.
"""
import json
import math
import os
import sys

from training_events import ConfigError, DatasetError, StopSignal, cpu_threads, leave_group, rank, world_size


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


def job_rows(spec):
    """The job's training rows and its validation rows (None without validation data)."""
    train_rows = read_jsonl(spec["training_data"]["path"])
    eval_rows = read_jsonl(spec["validation_data"]["path"]) if spec.get("validation_data") else None
    return train_rows, eval_rows


def datasets_of(convert, train_rows, eval_rows):
    """The training and evaluation datasets (evaluation None without rows) of rows converted by convert(rows)."""
    from datasets import Dataset
    evaluation = Dataset.from_list(convert(eval_rows)) if eval_rows is not None else None
    return Dataset.from_list(convert(train_rows)), evaluation


def sft_datasets(tokenizer, fmt, train_rows, eval_rows):
    encode = SftEncoder(tokenizer, fmt)
    return datasets_of(lambda rows: [encode(r) for r in rows], train_rows, eval_rows)


def preference_datasets(train_rows, eval_rows):
    return datasets_of(preference_rows, train_rows, eval_rows)


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


def precision_of(hp, args):
    """The job's precision: auto is bf16 on a GPU that supports it, else fp32."""
    precision = hp.get("precision", "auto")
    if precision == "auto":
        precision = "bf16" if args["device"] == "cuda" and args.get("bf16_supported") else "fp32"
    return precision


def trainer_arguments(args, spec, train_rows, eval_rows, transformers_major, trl=True, evaluates=None,
                      token_steps=False):
    """The keyword arguments of TRL's SFTConfig/DPOConfig that follow from the spec alone; with trl False, of
    transformers' own TrainingArguments (without TRL's max_length and token counting). The job evaluates at every
    save when it has validation rows, or as evaluates says (a trainer with a scorer of its own). With token_steps
    (a trainer made by token_batching.token_budget) the whole step's examples are one batch."""
    hp = spec["hyperparameters"]
    resources = spec["resources"]
    cuda = args["device"] == "cuda"
    precision = precision_of(hp, args)
    major = transformers_major
    micro, accumulation = hp["micro_batch_size"], hp["gradient_accumulation_steps"]
    world = world_size()
    eval_micro = micro
    if token_steps:
        # micro-steps by tokens (token_batching.py): the trainer gets a whole step's examples as one batch
        micro, accumulation = max(1, hp["batch_size"] // world), 1
    steps_per_epoch = max(1, math.ceil(len(train_rows) / (micro * world)) // accumulation)
    total = hp.get("max_steps") or steps_per_epoch * hp["epochs"]
    logging_steps = max(1, total // 100)
    checkpoints = spec["checkpoints"]

    common = dict(
        output_dir=args["output_dir"], per_device_train_batch_size=micro, per_device_eval_batch_size=eval_micro,
        gradient_accumulation_steps=accumulation, learning_rate=hp["learning_rate"],
        lr_scheduler_type=hp["scheduler"], weight_decay=hp["weight_decay"], max_grad_norm=hp["max_grad_norm"],
        seed=hp["seed"], logging_steps=logging_steps, report_to="none", disable_tqdm=True,
        save_total_limit=None, bf16=precision == "bf16", fp16=precision == "fp16",
        gradient_checkpointing=hp["gradient_checkpointing"], dataloader_num_workers=0, use_cpu=not cuda,
        # the filter put the average of earlier losses in place of a NaN one, which hid a diverged run from the
        # events' NaN check, and read the loss back from the device every micro-step (step_cost.py)
        logging_nan_inf_filter=False)
    if trl:
        common.update(max_length=hp["max_seq_length"],
                      include_num_input_tokens_seen=True if major < 5 else "non_padding")
    if hp["gradient_checkpointing"]:
        common["gradient_checkpointing_kwargs"] = {"use_reentrant": False}
    if world > 1:
        extra = distributed_arguments(args, hp, major)
        if extra.get("gradient_checkpointing") is False:
            common.pop("gradient_checkpointing_kwargs", None)
        common.update(extra)
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
    if (eval_rows is not None) if evaluates is None else evaluates:
        if checkpoints.get("every_steps"):
            common.update(eval_strategy="steps", eval_steps=checkpoints["every_steps"])
        else:
            common["eval_strategy"] = "epoch"
    return common


def token_budget_of(hp):
    """The job's micro-step budget in padded tokens, or None when its micro-steps are counted in examples."""
    budget = hp.get("micro_batch_tokens")
    return int(budget) if budget else None


def distributed_arguments(args, hp, transformers_major):
    """What a job trained by several processes adds: a collective timeout, so that a rank that died fails the
    others within a bounded time, and the strategy the service chose (ddp, or fsdp: FSDP2 with every decoder layer
    its own shard unit, the full state dict gathered on rank 0 when saving)."""
    out = dict(ddp_timeout=int(args.get("collective_timeout_seconds") or 600))
    strategy = args.get("strategy") or "ddp"
    if strategy == "fsdp":
        fsdp_config = {"version": 2, "auto_wrap_policy": "TRANSFORMER_BASED_WRAP", "reshard_after_forward": True,
                       "state_dict_type": "FULL_STATE_DICT", "cpu_ram_efficient_loading": False,
                       "activation_checkpointing": bool(hp["gradient_checkpointing"])}
        out.update(fsdp=True if transformers_major >= 5 else "full_shard auto_wrap", fsdp_config=fsdp_config)
        if hp["gradient_checkpointing"]:
            # FSDP checkpoints activations itself; the Trainer's own would run a second time over them.
            out["gradient_checkpointing"] = False
    else:
        # Every parameter that trains gets a gradient each step: the search for unused ones is a wasted pass.
        out["ddp_find_unused_parameters"] = False
    return out


def seed_and_threads(hp, cuda):
    """What every trainer does first: seed before the model and an adapter are made (peft initialises LoRA weights
    when the model is wrapped, before the Trainer's own seeding, so without this the same spec trains differently
    each run), and on a CPU share the cores among the job's processes."""
    import torch
    import transformers

    transformers.set_seed(hp["seed"])
    if not cuda:
        torch.set_num_threads(max(1, cpu_threads() // world_size()))
        cpu_ranks_resume()


def cpu_ranks_resume():
    """transformers loads a checkpoint's optimizer state onto args.device when several processes train, and a CPU
    rank's device is "cpu:0", a location torch.load cannot restore to ("don't know how to restore data location"):
    such a location is read as plain "cpu". Only for CPU jobs of several processes (the distributed path's tests)."""
    import torch
    if world_size() <= 1 or getattr(torch.load, "_cpu_ranks", False):
        return
    original = torch.load

    def load(*a, **kw):
        location = kw.get("map_location")
        if location is not None and str(location).startswith("cpu:"):
            kw["map_location"] = "cpu"
        return original(*a, **kw)

    load._cpu_ranks = True
    torch.load = load


def check_strategy(trainer, args):
    """Refuses to train with another strategy than the one asked for: accelerate shards with FSDP on GPUs only, and
    on other devices it would quietly train with DDP, holding the whole model in every process."""
    if args.get("strategy") == "fsdp" and not getattr(trainer, "is_fsdp_enabled", False):
        raise ConfigError("strategy fsdp needs GPUs: accelerate shards models with FSDP on CUDA devices only, and "
                          "this job runs on %s; use strategy ddp" % args.get("device"))


SELECTION_FILE = "selection.json"  # beside the best weights: which step they are, for a resumed attempt


def best_checkpoint(spec, args):
    """The callback that keeps the best evaluated weights when the spec's checkpoints.select is best, else None."""
    policy = spec.get("checkpoints") or {}
    if policy.get("select") != "best":
        return None
    from training_events import _trainer_callback_base

    class BestCheckpoint(_trainer_callback_base()):
        """After every evaluation whose metric beats every earlier one (lower for a loss, higher otherwise), saves
        the weights to output/best (every rank takes part, rank 0 writes) and notes the step and the figures."""

        def __init__(self):
            self.metric = policy.get("metric") or "eval_loss"
            self.lower = self.metric.endswith("loss")
            self.folder = os.path.join(args["output_dir"], "best")
            self.trainer = None
            self.step = self.value = self.metrics = None
            self.evaluations = 0
            self.evaluated_step = None
            # a resumed attempt goes on from what the earlier one kept (an interrupted swap is finished first)
            if rank() == 0:
                self._recover()
            kept = self._read()
            if kept is not None and kept.get("metric") == self.metric:
                self.step, self.value, self.metrics = kept["step"], kept["value"], kept["metrics"]
                self.evaluations = kept["evaluations"]

        def _read(self):
            path = os.path.join(self.folder, SELECTION_FILE)
            if not os.path.isfile(path):
                return None
            with open(path, encoding="utf-8") as f:
                return json.load(f)

        def _recover(self):
            """After a kill between the two renames of a swap, best is missing and best.old holds the last complete
            weights; a half-written best.tmp is never used."""
            import shutil
            old, tmp = self.folder + ".old", self.folder + ".tmp"
            if not os.path.isdir(self.folder) and os.path.isdir(old):
                os.rename(old, self.folder)
            shutil.rmtree(old, ignore_errors=True)
            shutil.rmtree(tmp, ignore_errors=True)

        def _write_selection(self, folder):
            path = os.path.join(folder, SELECTION_FILE)
            with open(path + ".tmp", "w", encoding="utf-8") as f:
                json.dump(self.report(None), f)
            os.replace(path + ".tmp", path)

        def on_evaluate(self, args_, state, control, metrics=None, **kwargs):
            value = (metrics or {}).get(self.metric)
            if value is None or not math.isfinite(float(value)):
                return
            self.evaluations += 1
            self.evaluated_step = state.global_step
            if self.value is None or (value < self.value if self.lower else value > self.value):
                # weights and their selection.json are written whole in best.tmp, then swapped in: a kill at any
                # point leaves best (or best.old) with weights and the selection that names their step
                tmp = self.folder + ".tmp"
                self.trainer.save_model(tmp)
                self.step, self.value = state.global_step, float(value)
                self.metrics = {k: float(v) for k, v in metrics.items()
                                if isinstance(v, (int, float)) and not k.endswith(("_runtime", "_per_second"))}
                if rank() == 0:
                    import shutil
                    self._write_selection(tmp)
                    if os.path.isdir(self.folder):
                        os.rename(self.folder, self.folder + ".old")
                    os.rename(tmp, self.folder)
                    shutil.rmtree(self.folder + ".old", ignore_errors=True)
            elif rank() == 0 and os.path.isdir(self.folder):
                self._write_selection(self.folder)  # the count of evaluations only: the weights stay

        def report(self, last_step):
            return {"metric": self.metric, "lower_is_better": self.lower, "value": self.value, "step": self.step,
                    "last_step": last_step, "evaluations": self.evaluations, "metrics": self.metrics}

    return BestCheckpoint()


def finish(trainer, tokenizer, callback, events, stop, args, before_completed=None, best=None):
    """After trainer.train(): exit 1 on a NaN loss (already reported), 143 when stopped by SIGTERM (a checkpoint
    was saved), else save the adapter or model with its tokenizer to output/final and report completed (after
    before_completed(final), on rank 0, when given). With best (best_checkpoint's callback) the output is the best
    evaluated weights: the last step's are evaluated too when no save evaluated them, and the completed event says
    which step won (selected)."""
    if callback.nan_loss is not None:
        sys.exit(1)
    if stop.requested:
        sys.exit(StopSignal.EXIT_STOPPED)
    final = os.path.join(args["output_dir"], "final")
    last = trainer.state.global_step
    extra = {}
    if best is not None and best.evaluated_step != last:
        trainer.evaluate()  # the last step's weights compete too
    if best is not None and best.step is None:
        events.warning("checkpoints.select is best, but no evaluation reported %s: the output is the last step"
                       % best.metric)
    if best is not None and best.step is not None and best.step != last:
        if rank() == 0:
            import shutil
            shutil.rmtree(final, ignore_errors=True)
            shutil.copytree(best.folder, final)
    else:
        trainer.save_model(final)  # every rank takes part (FSDP gathers the shards); rank 0 writes
    if rank() == 0:
        tokenizer.save_pretrained(final)
        if before_completed is not None:
            before_completed(final)
    leave_group()
    if best is not None and best.step is not None:
        extra["selected"] = best.report(last)
    if getattr(trainer, "batching", None) is not None:
        extra["batching"] = trainer.batching.report(trainer.micro_batch_tokens)
    step = best.step if best is not None and best.step is not None else last
    events.emit("completed", output=final, step=step, **extra)
