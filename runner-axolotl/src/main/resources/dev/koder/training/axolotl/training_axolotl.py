"""The Training SDK's axolotl plugin: reports an axolotl run through the SDK's events protocol.

Named in the config the SDK writes (plugins: [training_axolotl.TrainingEventsPlugin]) and found by axolotl's
own plugin mechanism (axolotl.integrations.base.BasePlugin). It reads no config key of its own: the events file
comes from the environment (TRAINING_EVENTS_FILE, set by the SDK), so the config stays within axolotl's schema.

- register: opens the events file, installs the SIGTERM handler (save a checkpoint, then stop) and reports an
  uncaught exception as one classified error event;
- add_callbacks_post_trainer: adds the SDK's TrainingEvents callback to axolotl's trainer (started, progress,
  eval, checkpoint events; NaN loss stops the run);
- post_train_unload (after axolotl saved the model in output_dir): copies the final adapter or model into
  output_dir/final and reports completed, or exits 143 when the run was stopped, 1 on a NaN loss.
"""
import os
import shutil
import sys

from axolotl.integrations.base import BasePlugin

from training_events import EventWriter, StopSignal, TrainingEvents, classify, cpu_threads

_STATE = {}


def _events():
    if "events" not in _STATE:
        events = EventWriter(os.environ["TRAINING_EVENTS_FILE"])
        _STATE["events"] = events
        _STATE["stop"] = StopSignal.install(events)
        previous = sys.excepthook

        def report(kind, error, tb):
            events.emit("error", kind=classify(error), message=("%s: %s" % (kind.__name__, error))[:2000])
            previous(kind, error, tb)

        sys.excepthook = report
    return _STATE["events"], _STATE["stop"]


_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model",
                    "chat_template.jinja", "chat_template.json", "added_tokens.json", "vocab.json", "vocab.txt",
                    "merges.txt")


def _serving_files(names):
    """What of axolotl's output folder a serving stack loads: the adapter and its config for LoRA (axolotl also
    leaves a model.safetensors of PEFT-wrapped weights there, which nothing loads), the model's config and weights for
    a full fine-tune, and the tokenizer. Not its logs (debug.log stays in the job's logs), the training arguments or
    the config it ran with."""
    adapter = "adapter_config.json" in names
    keep = []
    for name in names:
        if name in _TOKENIZER_FILES:
            keep.append(name)
        elif adapter:
            if name == "adapter_config.json" or name.startswith("adapter_model."):
                keep.append(name)
        elif name in ("config.json", "generation_config.json") or (name.startswith("model") and name.endswith(
                (".safetensors", ".safetensors.index.json", ".bin", ".bin.index.json"))) or (
                name.startswith("pytorch_model") and name.endswith((".bin", ".bin.index.json"))):
            keep.append(name)
    return sorted(keep)


def _count_tokens(trainer, callback):
    """axolotl's trainer does not count the tokens it trains on (num_input_tokens_seen stays 0), so progress had no
    tokens/s: each training step's batch is counted here, its tokens that are not padding (every attention mask of
    the batch, chosen and rejected for DPO; a packed mask's segment numbers count as one token each)."""
    step = trainer.training_step

    def counting_step(model, inputs, *args, **kwargs):
        try:
            masks = [v for k, v in inputs.items() if k.endswith("attention_mask") and hasattr(v, "ne")]
            if masks:
                callback.count_tokens(sum(int(m.ne(0).sum()) for m in masks))
            elif hasattr(inputs.get("input_ids"), "numel"):
                callback.count_tokens(inputs["input_ids"].numel())
        except (AttributeError, TypeError):
            pass  # a batch of another shape: no count rather than a failed step
        return step(model, inputs, *args, **kwargs)

    trainer.training_step = counting_step


class TrainingEventsPlugin(BasePlugin):
    """Adds the SDK's events callback to axolotl's trainer."""

    def register(self, cfg):
        _events()
        if os.environ.get("TRAINING_CPU_THREADS"):  # a CPU job: its share of the cores, as the SDK's trainers take it
            import torch
            torch.set_num_threads(cpu_threads())

    def add_callbacks_post_trainer(self, cfg, trainer):
        events, stop = _events()
        callback = TrainingEvents(events, stop)
        _STATE["callback"] = callback
        _STATE["trainer"] = trainer
        _count_tokens(trainer, callback)
        return [callback]

    def post_train_unload(self, cfg):
        events, stop = _events()
        callback = _STATE.get("callback")
        if callback is not None and callback.nan_loss is not None:
            sys.exit(1)
        if stop.requested:
            sys.exit(StopSignal.EXIT_STOPPED)
        out = cfg["output_dir"]
        final = os.path.join(out, "final")
        os.makedirs(final, exist_ok=True)
        names = [n for n in os.listdir(out) if os.path.isfile(os.path.join(out, n))]
        for name in _serving_files(names):
            shutil.copy2(os.path.join(out, name), os.path.join(final, name))
        trainer = _STATE.get("trainer")
        step = trainer.state.global_step if trainer is not None else None
        events.emit("completed", output=final, step=step)
