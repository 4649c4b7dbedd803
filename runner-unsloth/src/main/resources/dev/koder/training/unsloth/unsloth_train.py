"""The unsloth trainer of the Training SDK: SFT (LoRA, QLoRA or full) and DPO (LoRA or QLoRA), one job a process.

Reads everything from the JSON file named on the command line (written by the SDK: the job spec, the paths of
this attempt); nothing from the spec is ever pasted into code. The model comes from unsloth's
FastLanguageModel.from_pretrained (4-bit for QLoRA), the adapter from FastLanguageModel.get_peft_model (rank,
alpha, dropout, target modules, unsloth's gradient checkpointing), and training from TRL's SFT and DPO trainers
(DPO with unsloth's patch) with the SDK's events callback. Data, its encoding and the trainer's arguments are
the ones every SDK trainer shares (training_data.py), so a spec trains the same way as with the TRL runner.
"""

from training_data import best_checkpoint, finish, job_rows, preference_datasets, sft_datasets, trainer_arguments
from training_events import TrainingEvents, run_trainer

# "all-linear" as unsloth wants it: the projections of Llama-family decoders.
ALL_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def main(ARGS, EVENTS, STOP):  # noqa: N803 - the three are this process's globals
    # unsloth patches transformers, peft and TRL when it is imported: it must come first.
    from unsloth import FastLanguageModel

    spec = ARGS["spec"]
    method = spec["method"]
    hp = spec["hyperparameters"]
    objective, adapter = method["objective"], method["adapter"]
    if objective == "dpo":
        from unsloth import PatchDPOTrainer
        PatchDPOTrainer()

    import transformers

    transformers.set_seed(hp["seed"])
    major = int(transformers.__version__.split(".")[0])
    model, tokenizer = FastLanguageModel.from_pretrained(
        model_name=spec["base_model"], max_seq_length=hp["max_seq_length"], dtype=None,
        load_in_4bit=adapter == "qlora", full_finetuning=adapter == "full")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if adapter in ("lora", "qlora"):
        lora = method["lora"]
        targets = ALL_LINEAR if lora["target_modules"] == ["all-linear"] else lora["target_modules"]
        model = FastLanguageModel.get_peft_model(
            model, r=lora["rank"], lora_alpha=lora["alpha"], lora_dropout=lora["dropout"], target_modules=targets,
            bias="none", use_gradient_checkpointing="unsloth" if hp["gradient_checkpointing"] else False,
            random_state=hp["seed"])

    train_rows, eval_rows = job_rows(spec)
    common = trainer_arguments(ARGS, spec, train_rows, eval_rows, major)
    # unsloth's own gradient checkpointing is set on the model above; the trainer's stays off.
    common["gradient_checkpointing"] = False
    common.pop("gradient_checkpointing_kwargs", None)

    events = TrainingEvents(EVENTS, STOP)
    best = best_checkpoint(spec, ARGS)
    callbacks = [events] + ([best] if best else [])
    if objective == "sft":
        from trl import SFTConfig, SFTTrainer
        train, evaluation = sft_datasets(tokenizer, spec["training_data"]["format"], train_rows, eval_rows)
        trainer = SFTTrainer(model=model, args=SFTConfig(packing=hp["packing"], **common), train_dataset=train,
                             eval_dataset=evaluation, processing_class=tokenizer, callbacks=callbacks)
    else:
        from trl import DPOConfig, DPOTrainer
        dpo = method["dpo"]
        train, evaluation = preference_datasets(train_rows, eval_rows)
        config = DPOConfig(beta=dpo["beta"], loss_type=[dpo["loss_type"]], **common)
        trainer = DPOTrainer(model=model, ref_model=None, args=config, train_dataset=train, eval_dataset=evaluation,
                             processing_class=tokenizer, callbacks=callbacks)

    if best:
        best.trainer = trainer
    trainer.train(resume_from_checkpoint=ARGS.get("resume_from"))
    finish(trainer, tokenizer, events, EVENTS, STOP, ARGS, best=best)


if __name__ == "__main__":
    run_trainer(main)
