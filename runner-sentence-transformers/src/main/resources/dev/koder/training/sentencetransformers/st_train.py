"""The sentence-transformers trainer of the Training SDK: embedding models (bi-encoders, trained contrastively with
in-batch negatives) and rerankers (cross-encoders), full or with LoRA, one job per process.

Reads everything from the JSON file named on the command line (written by the SDK: the job spec, the paths of this
attempt); nothing from the spec is ever pasted into code. Reports through the events protocol
(training_events.py): the retrieval or re-ranking figures of the base model before the first step (an eval event
with "baseline": true), then at every save and at the end. Saves checkpoints every N steps or per epoch, resumes
from one with the step count continuing, and writes a sentence-transformers model folder to output/final (for
LoRA: the adapter with the folder's configuration; with merged_copy also output/final/merged, a whole model, which
the registry then keeps with the adapter).
"""
import os

from encoder_data import evaluator, flattened_groups, group_rows, pair_rows, scored_rows
from training_data import finish, job_rows, seed_and_threads, trainer_arguments
from training_events import ConfigError, TrainingEvents, run_trainer


def main(ARGS, EVENTS, STOP):  # noqa: N803 - the three are this process's globals
    import transformers

    spec = ARGS["spec"]
    method = spec["method"]
    hp = spec["hyperparameters"]
    objective, adapter = method["objective"], method["adapter"]
    if objective not in ("embedding", "reranker"):
        raise ConfigError("the sentence-transformers runner trains objectives embedding and reranker, got %s"
                          % objective)
    cuda = ARGS["device"] == "cuda"
    seed_and_threads(hp, cuda)
    device = "cuda" if cuda else "cpu"
    train_rows, eval_rows = job_rows(spec)
    fmt = spec["training_data"]["format"]

    if objective == "embedding":
        model, loss, train, evaluation = embedding_job(spec, method, hp, device, train_rows, eval_rows, EVENTS)
    else:
        model, loss, train, evaluation = reranker_job(spec, method, hp, device, fmt, train_rows, eval_rows)
    if adapter == "lora":
        model.add_adapter(lora_config(method, objective, model))

    scorer = evaluator(objective, spec, eval_rows)
    common = arguments(ARGS, spec, train_rows, eval_rows, scorer is not None,
                       int(transformers.__version__.split(".")[0]))
    events = TrainingEvents(EVENTS, STOP)
    callbacks = [events, Baseline(scorer, model, EVENTS, resumed=ARGS.get("resume_from") is not None)]

    if objective == "embedding":
        from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
        from sentence_transformers.sentence_transformer.training_args import BatchSamplers
        # In-batch negatives: a text twice in one batch would be its own negative.
        config = SentenceTransformerTrainingArguments(batch_sampler=BatchSamplers.NO_DUPLICATES, **common)
        trainer = SentenceTransformerTrainer(model=model, args=config, train_dataset=train, eval_dataset=evaluation,
                                             loss=loss, evaluator=scorer, callbacks=callbacks)
    else:
        from sentence_transformers import CrossEncoderTrainer, CrossEncoderTrainingArguments
        config = CrossEncoderTrainingArguments(**common)
        trainer = CrossEncoderTrainer(model=model, args=config, train_dataset=train, eval_dataset=evaluation,
                                      loss=loss, evaluator=scorer, callbacks=callbacks)
    count_tokens(trainer, events)
    trainer.train(resume_from_checkpoint=ARGS.get("resume_from"))
    final_scores = None
    if scorer is not None and not STOP.requested and events.nan_loss is None:
        final_scores = scorer(model)
    finish(trainer, model.tokenizer, events, EVENTS, STOP, ARGS,
           before_completed=lambda final: completed(final, final_scores, trainer, model, method, spec, objective,
                                                     device, EVENTS))


def arguments(args, spec, train_rows, eval_rows, scored, transformers_major):
    """The trainer's arguments: the SDK's shared mapping of the spec (transformers' own, not TRL's), with an
    evaluation at every save when the job has something to score on (a retrieval set, or validation data)."""
    return trainer_arguments(args, spec, train_rows, eval_rows, transformers_major, trl=False,
                             evaluates=scored or eval_rows is not None)


def embedding_job(spec, method, hp, device, train_rows, eval_rows, events):
    from datasets import Dataset
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import losses

    model = SentenceTransformer(spec["base_model"], device=device, local_files_only=True)
    model.max_seq_length = hp["max_seq_length"]
    settings = method["embedding"]
    train, negatives, dropped = pair_rows(train_rows)
    if dropped:
        events.warning("%d hard negatives were left out: every example trains with the fewest any example has (%d)"
                       % (dropped, negatives))
    evaluation = Dataset.from_list(pair_rows(eval_rows)[0]) if eval_rows is not None else None
    if settings["loss"] == "cached_multiple_negatives_ranking":
        loss = losses.CachedMultipleNegativesRankingLoss(model, mini_batch_size=settings["mini_batch_size"])
    else:
        loss = losses.MultipleNegativesRankingLoss(model)
    dims = settings.get("matryoshka_dims") or []
    if dims:
        width = model.get_sentence_embedding_dimension()
        if dims[0] > width:
            raise ConfigError("matryoshka_dims starts at %d, more than the model's embedding size %d"
                              % (dims[0], width))
        loss = losses.MatryoshkaLoss(model, loss, matryoshka_dims=dims)
    return model, loss, Dataset.from_list(train), evaluation


def reranker_job(spec, method, hp, device, fmt, train_rows, eval_rows):
    from datasets import Dataset
    from sentence_transformers import CrossEncoder
    from sentence_transformers.cross_encoder import losses

    model = CrossEncoder(spec["base_model"], num_labels=1, device=device, max_length=hp["max_seq_length"],
                         local_files_only=True)
    name = method["reranker"]["loss"]
    listwise = name != "binary_cross_entropy"

    def rows(r, f):
        if listwise:
            return group_rows(r)
        return scored_rows(r) if f == "scored-pairs" else flattened_groups(r)

    train = Dataset.from_list(rows(train_rows, fmt))
    evaluation = None
    if eval_rows is not None:
        evaluation = Dataset.from_list(rows(eval_rows, spec["validation_data"]["format"]))
    if name == "binary_cross_entropy":
        loss = losses.BinaryCrossEntropyLoss(model)
    elif name == "listnet":
        loss = losses.ListNetLoss(model)
    else:
        loss = losses.LambdaLoss(model)
    return model, loss, train, evaluation


def lora_config(method, objective, model):
    from peft import LoraConfig
    lora = method["lora"]
    targets = lora["target_modules"]
    kwargs = dict(r=lora["rank"], lora_alpha=lora["alpha"], lora_dropout=lora["dropout"],
                  target_modules="all-linear" if targets == ["all-linear"] else targets)
    if objective == "reranker":
        # The score head is new: it trains in full beside the adapter, and is saved with it.
        head = [n for n, _ in model.model.named_children() if n in ("classifier", "score")]
        kwargs["modules_to_save"] = head
        kwargs["task_type"] = "SEQ_CLS"
    else:
        kwargs["task_type"] = "FEATURE_EXTRACTION"
    return LoraConfig(**kwargs)


def count_tokens(trainer, events):
    """The trainer counts no tokens for these models: every batch's non-padding tokens are added to the count the
    progress events report."""
    trainer.data_collator = CountingCollator(trainer.data_collator, events)


class CountingCollator:
    """sentence-transformers' collator, counting each batch's non-padding tokens; its other attributes (the trainer
    reads some) are the collator's."""

    def __init__(self, collate, events):
        self._collate = collate
        self._events = events

    def __call__(self, features):
        batch = self._collate(features)
        self._events.count_tokens(sum(int(v.sum()) for k, v in batch.items() if k.endswith("attention_mask")))
        return batch

    def __getattr__(self, name):
        return getattr(self._collate, name)


def _trainer_callback_base():
    from transformers import TrainerCallback
    return TrainerCallback


class Baseline(_trainer_callback_base()):
    """Scores the base model once, before the first step of a job that is not resumed: an eval event of step 0 with
    "baseline": true, so the gain of the fine-tune is visible beside its own figures."""

    def __init__(self, scorer, model, events, resumed):
        self.scorer = scorer
        self.model = model
        self.events = events
        self.resumed = resumed

    def on_train_begin(self, args, state, control, **kwargs):
        if self.scorer is None or self.resumed or state.global_step > 0:
            return
        figures = self.scorer(self.model)
        self.events.emit("eval", step=0, baseline=True, metrics={"eval_" + k: v for k, v in figures.items()})


def completed(final, scores, trainer, model, method, spec, objective, device, events):
    """Before "completed": the final figures, and the merged copy a LoRA job asked for."""
    if scores is not None:
        events.emit("eval", step=trainer.state.global_step, final=True,
                    metrics={"eval_" + k: v for k, v in scores.items()})
    if method["adapter"] == "lora" and method.get(objective, {}).get("merged_copy"):
        merge(final, os.path.join(final, "merged"), spec["base_model"], objective, device)


def merge(final, merged, base, objective, device):
    """A whole model from the base and the adapter in final: the adapter's weights merged into the base's, saved
    as the same kind of sentence-transformers folder as the base loads into."""
    from peft import PeftModel
    if objective == "embedding":
        from sentence_transformers import SentenceTransformer
        whole = SentenceTransformer(base, device=device, local_files_only=True)
        module = whole[0]
        module.model = PeftModel.from_pretrained(module.model, final).merge_and_unload()
    else:
        from sentence_transformers import CrossEncoder
        whole = CrossEncoder(base, num_labels=1, device=device, local_files_only=True)
        whole[0].model = PeftModel.from_pretrained(whole.model, final).merge_and_unload()
    whole.save_pretrained(merged)


if __name__ == "__main__":
    run_trainer(main)
