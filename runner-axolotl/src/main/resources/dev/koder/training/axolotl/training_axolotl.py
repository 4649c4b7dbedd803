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

from training_events import EventWriter, StopSignal, TrainingEvents, classify

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


class TrainingEventsPlugin(BasePlugin):
    """Adds the SDK's events callback to axolotl's trainer."""

    def register(self, cfg):
        _events()

    def add_callbacks_post_trainer(self, cfg, trainer):
        events, stop = _events()
        callback = TrainingEvents(events, stop)
        _STATE["callback"] = callback
        _STATE["trainer"] = trainer
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
        for name in os.listdir(out):
            path = os.path.join(out, name)
            if os.path.isfile(path):
                shutil.copy2(path, os.path.join(final, name))
        trainer = _STATE.get("trainer")
        step = trainer.state.global_step if trainer is not None else None
        events.emit("completed", output=final, step=step)
