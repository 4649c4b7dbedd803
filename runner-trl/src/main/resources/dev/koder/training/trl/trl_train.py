"""The TRL trainer of the Training SDK: SFT (full or LoRA), QLoRA and DPO, one job per process.

Reads everything from the JSON file named on the command line (written by the SDK: the job spec, the paths
of this attempt); nothing from the spec is ever pasted into code. Reports through the events protocol
(training_events.py), saves checkpoints every N steps or per epoch keeping the last K, resumes from a
checkpoint with the step count continuing, and writes the final adapter or model with its tokenizer to
output/final.
"""
import os

from step_cost import lean_dpo, lean_sft, without_entropy
from token_batching import length_grouped, token_budget
from training_data import (best_checkpoint, check_strategy, finish, job_rows, precision_of, preference_datasets,
                           seed_and_threads, sft_datasets, token_budget_of, trainer_arguments)
from training_events import TrainingEvents, run_trainer, trace_ranks


def main(ARGS, EVENTS, STOP):  # noqa: N803 - the three are this process's globals
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    spec = ARGS["spec"]
    method = spec["method"]
    hp = spec["hyperparameters"]
    objective, adapter = method["objective"], method["adapter"]
    cuda = ARGS["device"] == "cuda"
    seed_and_threads(hp, cuda)

    precision = precision_of(hp, ARGS)
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[precision]

    base = spec["base_model"]
    # A base that is an adapter checkpoint (a fine-tune being continued): its own base model is loaded, and the
    # adapter is trained further (a LoRA job) or merged into it first (a full job).
    parent_adapter = None
    if os.path.isfile(os.path.join(base, "adapter_config.json")) and not os.path.isfile(os.path.join(base, "config.json")):
        import json
        with open(os.path.join(base, "adapter_config.json")) as f:
            parent_adapter, base = base, json.load(f)["base_model_name_or_path"]
    tokenizer = AutoTokenizer.from_pretrained(parent_adapter or base)
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
    if parent_adapter is not None:
        from peft import PeftModel
        if adapter == "lora":
            model = PeftModel.from_pretrained(model, parent_adapter, is_trainable=True)
        else:
            model = PeftModel.from_pretrained(model, parent_adapter).merge_and_unload()
    if adapter in ("lora", "qlora") and parent_adapter is None:
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

    train_rows, eval_rows = job_rows(spec)
    budget = None if hp["packing"] else token_budget_of(hp)  # packing is SFT's, and cuts no micro-steps
    common = trainer_arguments(ARGS, spec, train_rows, eval_rows, major, token_steps=budget is not None)

    events = TrainingEvents(EVENTS, STOP, started={"micro_batch_tokens": budget} if budget else None)
    best = best_checkpoint(spec, ARGS)
    callbacks = [events] + ([best] if best else [])
    if objective == "sft":
        from trl import SFTConfig, SFTTrainer
        if hp["packing"]:
            try:
                import flash_attn  # noqa: F401
            except ImportError:
                EVENTS.warning("packing without flash attention trains padding-free on one flattened sequence "
                               "with SDPA and a block-diagonal mask built from the position ids: examples stay "
                               "apart, but the masked kernel is slower; micro_batch_tokens (the default) pads "
                               "little without it")
        train, evaluation = sft_datasets(tokenizer, spec["training_data"]["format"], train_rows, eval_rows)
        config = SFTConfig(packing=hp["packing"], **common)
        from trl.trainer import sft_trainer
        if not without_entropy(sft_trainer):
            EVENTS.warning("this TRL's chunked loss is not the one the SDK knows: it computes the entropy of every "
                           "prediction, which the SDK does not report, at some cost a step")
        lean = lean_sft(SFTTrainer)
        kind, extra = (token_budget(lean), {"micro_batch_tokens": budget}) if budget else (lean, {})
        trainer = kind(model=model, args=config, train_dataset=train, eval_dataset=evaluation,
                       processing_class=tokenizer, peft_config=peft_config, callbacks=callbacks, **extra)
    else:
        from trl import DPOConfig, DPOTrainer
        dpo = method["dpo"]
        train, evaluation = preference_datasets(train_rows, eval_rows)
        config = DPOConfig(beta=dpo["beta"], loss_type=[dpo["loss_type"]], **common)
        lean = lean_dpo(DPOTrainer)
        kind, extra = ((token_budget(lean, pairs=True), {"micro_batch_tokens": budget}) if budget
                       else (length_grouped(lean), {}))
        trainer = kind(model=model, args=config, train_dataset=train, eval_dataset=evaluation,
                       processing_class=tokenizer, peft_config=peft_config, callbacks=callbacks, **extra)

    if best:
        best.trainer = trainer
    check_strategy(trainer, ARGS)
    trace_ranks(trainer)
    trainer.train(resume_from_checkpoint=ARGS.get("resume_from"))
    finish(trainer, tokenizer, events, EVENTS, STOP, ARGS, best=best)


if __name__ == "__main__":
    run_trainer(main)
