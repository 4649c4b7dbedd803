"""The events protocol of the Training SDK, for Python trainers (see docs/PROTOCOL.md).

Every Python runner's trainer uses this module:

    events = EventWriter(args["events_file"])
    stop = StopSignal.install(events)
    trainer.add_callback(TrainingEvents(events, stop))
    run_main(events, main)

or, for a trainer whose whole job is main(args, events, stop), `run_trainer(main)` does all of that setup from
the JSON file named on the command line.

It appends one JSON object per line to the events file (flushed per line), turns the Hugging Face Trainer's
callbacks into started/progress/eval/checkpoint events, stops with a checkpoint on SIGTERM (a second SIGTERM
exits at once), stops on a NaN or infinite loss, and reports an uncaught exception as one classified error
event before exiting.
"""
import json
import math
import os
import signal
import sys
import time
import traceback

VERSION = 1


class DatasetError(Exception):
    """The data cannot be used as it is; reported with kind "dataset"."""


class ConfigError(Exception):
    """The job's settings do not work with this model or environment; reported with kind "config"."""


class EventWriter:
    """Appends protocol events to a file, one JSON object per line, flushed each time."""

    def __init__(self, path):
        self.path = path
        self._file = open(path, "a", encoding="utf-8")

    def emit(self, event_type, **fields):
        record = {"v": VERSION, "type": event_type, "time": time.time()}
        record.update({k: _plain(v) for k, v in fields.items() if v is not None})
        self._file.write(json.dumps(record, allow_nan=False) + "\n")
        self._file.flush()

    def warning(self, message):
        self.emit("warning", message=message)


def _plain(value):
    """JSON-safe numbers: NaN and infinities become strings, tensors and numpy scalars plain numbers."""
    if hasattr(value, "item") and callable(value.item):
        try:
            value = value.item()
        except (ValueError, RuntimeError):
            return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class StopSignal:
    """SIGTERM asks the trainer to save a checkpoint and stop; a second SIGTERM (or SIGINT) exits at once."""

    EXIT_STOPPED = 143

    def __init__(self, events):
        self.events = events
        self.requested = False

    @classmethod
    def install(cls, events):
        stop = cls(events)
        signal.signal(signal.SIGTERM, stop._handle)
        signal.signal(signal.SIGINT, stop._handle)
        return stop

    def _handle(self, signum, frame):
        if self.requested:
            os._exit(self.EXIT_STOPPED)
        self.requested = True
        print("stop requested (signal %d): saving a checkpoint and stopping" % signum, file=sys.stderr, flush=True)


def _trainer_callback_base():
    from transformers import TrainerCallback
    return TrainerCallback


class TrainingEvents(_trainer_callback_base()):
    """A transformers TrainerCallback that writes the protocol's events."""

    def __init__(self, events, stop, extra_metrics=("rewards/margins", "rewards/accuracies", "rewards/chosen",
                                                     "rewards/rejected", "mean_token_accuracy")):
        self.events = events
        self.stop = stop
        self.extra = extra_metrics
        self.nan_loss = None
        self._last_time = None
        self._last_tokens = 0
        self._tokens = 0

    def count_tokens(self, n):
        """Adds tokens to the running count when the trainer does not track them itself."""
        self._tokens += int(n)

    def on_train_begin(self, args, state, control, **kwargs):
        self._last_time = time.time()
        self._last_tokens = getattr(state, "num_input_tokens_seen", 0) or self._tokens
        self.events.emit("started", step=state.global_step, total_steps=state.max_steps,
                         world_size=getattr(args, "world_size", 1))

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = dict(logs or {})
        eval_metrics = {k: v for k, v in logs.items() if k.startswith("eval_") and not k.endswith(
            ("_runtime", "_per_second", "num_tokens", "_entropy"))}
        if eval_metrics:
            self.events.emit("eval", step=state.global_step, metrics=eval_metrics)
            return
        if "loss" not in logs:
            return
        loss = float(logs["loss"])
        if not math.isfinite(loss):
            self.nan_loss = loss
            control.should_training_stop = True
            self.events.emit("error", kind="nan_loss", message="the training loss became %s at step %d; lower "
                             "the learning rate or check the data" % (loss, state.global_step))
            return
        now = time.time()
        tokens = getattr(state, "num_input_tokens_seen", 0) or self._tokens
        elapsed = now - (self._last_time or now)
        speed = (tokens - self._last_tokens) / elapsed if elapsed > 0 and tokens else None
        self._last_time, self._last_tokens = now, tokens
        fields = {
            "step": state.global_step, "total_steps": state.max_steps, "epoch": logs.get("epoch", state.epoch),
            "loss": loss, "learning_rate": logs.get("learning_rate"), "grad_norm": logs.get("grad_norm"),
            "tokens": tokens or None, "tokens_per_second": speed, "gpu_memory_gib": _gpu_memory_gib(),
        }
        for key in self.extra:
            if key in logs:
                fields[key.replace("/", "_")] = logs[key]
        self.events.emit("progress", **fields)

    def on_step_end(self, args, state, control, **kwargs):
        if self.stop is not None and self.stop.requested:
            control.should_save = True
            control.should_training_stop = True

    def on_save(self, args, state, control, **kwargs):
        path = os.path.join(args.output_dir, "checkpoint-%d" % state.global_step)
        self.events.emit("checkpoint", step=state.global_step, path=path)


def _gpu_memory_gib():
    try:
        import torch
        if torch.cuda.is_available():
            return torch.cuda.max_memory_allocated() / 2 ** 30
    except Exception:
        return None
    return None


def classify(error):
    """The protocol's error kind for an exception."""
    name = type(error).__name__
    text = str(error)
    if isinstance(error, DatasetError):
        return "dataset"
    if isinstance(error, ConfigError):
        return "config"
    if name == "OutOfMemoryError" or "CUDA out of memory" in text:
        return "out_of_memory"
    if isinstance(error, ImportError):
        return "dependency"
    if "CUDA" in text or "cuDNN" in text or "NCCL" in text:
        return "cuda"
    return "unknown"


def run_main(events, main):
    """Runs the trainer's main function; an uncaught exception becomes one error event and exit code 1."""
    try:
        main()
    except SystemExit:
        raise
    except BaseException as error:  # noqa: B902 - every failure must reach the service classified
        traceback.print_exc()
        sys.stderr.flush()
        message = "%s: %s" % (type(error).__name__, error)
        events.emit("error", kind=classify(error), message=message[:2000])
        sys.exit(1)


def run_trainer(main):
    """The __main__ of a trainer: reads the JSON arguments named by argv[1], opens the events file, installs the
    SIGTERM handler and runs main(args, events, stop) under run_main."""
    with open(sys.argv[1], encoding="utf-8") as f:
        args = json.load(f)
    events = EventWriter(args["events_file"])
    stop = StopSignal.install(events)
    run_main(events, lambda: main(args, events, stop))
