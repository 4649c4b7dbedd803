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

Under a launcher that starts one process per GPU (torchrun sets RANK and WORLD_SIZE), only rank 0 writes events;
every rank stops at the same step when any of them was asked to (the stop flag is all-reduced after each step),
and a repeated SIGTERM is the launcher passing on the signal the group already got, not a second request.
"""
import json
import math
import os
import signal
import sys
import time
import traceback

VERSION = 1

# The failure cause table the service reads too (training-api's failure-causes.json, staged beside this module):
# the error kinds a trainer may report, and the codes it exits with.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "failure-causes.json"), encoding="utf-8") as _f:
    _CAUSES = json.load(_f)
KINDS = frozenset(_CAUSES["trainer_kinds"])
EXIT_CODES = dict(_CAUSES["exit_codes"])


def error_kind(name):
    """An error kind of the cause table; a name that is not in it is a bug of this module."""
    if name not in KINDS:
        raise AssertionError("error kind %r is not in failure-causes.json" % name)
    return name


class DatasetError(Exception):
    """The data cannot be used as it is; reported with kind "dataset"."""


class ConfigError(Exception):
    """The job's settings do not work with this model or environment; reported with kind "config"."""


def rank():
    """This process's rank among the job's processes (0 when it trains alone)."""
    return int(os.environ.get("RANK", "0"))


def world_size():
    """How many processes train the job together (1 when it trains alone)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def cpu_threads():
    """The CPU threads this job may use, all its processes together: what the service gave it (TRAINING_CPU_THREADS,
    its host's share per job running at once, or what Slurm allotted), else the cores this process may run on. More
    threads than that make trainers sharing the cores wait on each other's threads."""
    given = os.environ.get("TRAINING_CPU_THREADS", "")
    if given.isdigit() and int(given) > 0:
        return int(given)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class EventWriter:
    """Appends protocol events to a file, one JSON object per line, flushed each time. On ranks other than 0 it
    writes nothing: rank 0 speaks for the job."""

    def __init__(self, path):
        self.path = path
        self._file = open(path, "a", encoding="utf-8") if rank() == 0 else None

    def emit(self, event_type, **fields):
        if self._file is None:
            return
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

    EXIT_STOPPED = EXIT_CODES["stopped"]

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
        if self.requested and world_size() > 1:
            # torchrun passes on the SIGTERM the whole process group already got; the service escalates with
            # SIGKILL to the group itself when the grace period ends.
            return
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
                                                     "rewards/rejected", "mean_token_accuracy"), started=None):
        self.events = events
        self.started = dict(started or {})
        self.stop = stop
        self.extra = extra_metrics
        self.nan_loss = None
        self._last_time = None
        self._last_tokens = 0
        self._tokens = 0
        self._saved = set()

    def count_tokens(self, n):
        """Adds tokens to the running count when the trainer does not track them itself."""
        self._tokens += int(n)

    def on_train_begin(self, args, state, control, **kwargs):
        self._last_time = time.time()
        self._last_tokens = getattr(state, "num_input_tokens_seen", 0) or self._tokens
        started = dict(self.started)
        if getattr(getattr(args, "device", None), "type", None) == "cpu":
            import torch
            started["cpu_threads"] = torch.get_num_threads()  # this process's, as seed_and_threads set them
        self.events.emit("started", step=state.global_step, total_steps=state.max_steps,
                         world_size=getattr(args, "world_size", 1), **started)

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
            self.events.emit("error", kind=error_kind("nan_loss"), message="the training loss became %s at step %d; "
                             "lower the learning rate or check the data" % (loss, state.global_step))
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
        requested = self.stop is not None and self.stop.requested
        if world_size() > 1:
            requested = _any_rank(requested, args.device)
            if requested and self.stop is not None:
                self.stop.requested = True
        if requested:
            control.should_save = True
            control.should_training_stop = True

    def on_save(self, args, state, control, **kwargs):
        # a stop's save and the end's save can be of the same step (a cancelled DPO run saved twice): one event
        if state.global_step in self._saved:
            return
        self._saved.add(state.global_step)
        path = os.path.join(args.output_dir, "checkpoint-%d" % state.global_step)
        self.events.emit("checkpoint", step=state.global_step, path=path)


def _any_rank(flag, device):
    """True on every rank when any rank passes True: all ranks must stop at the same step, or the next collective
    waits for a rank that has left."""
    import torch
    import torch.distributed as dist
    if not dist.is_available() or not dist.is_initialized():
        return flag
    value = torch.tensor([1 if flag else 0], dtype=torch.int32, device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())


def leave_group():
    """Ends a job of several processes together: every rank waits for the others, then the process group is closed,
    so no rank tears down its connections while another still uses them (which aborts it)."""
    try:
        import torch.distributed as dist
    except ImportError:
        return
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


class RankTrace(_trainer_callback_base()):
    """A diagnostic for distributed runs, on when TRAINING_RANK_TRACE names a folder: each rank appends to
    rank-<R>.jsonl, for every optimizer step, a digest of the trainable weights after the step and digests of the
    batches it trained on, so a check can see that the ranks train on different shards and stay identical."""

    def __init__(self, folder, trainer):
        self.path = os.path.join(folder, "rank-%d.jsonl" % rank())
        self.trainer = trainer
        self.batches = []
        original = trainer.compute_loss

        def compute_loss(model, inputs, *a, **kw):
            ids = inputs.get("input_ids") if isinstance(inputs, dict) else None
            if ids is None and isinstance(inputs, dict):
                ids = inputs.get("chosen_input_ids", inputs.get("prompt_input_ids"))
            if ids is not None and model.training:
                self.batches.append(_digest([ids]))
            return original(model, inputs, *a, **kw)

        trainer.compute_loss = compute_loss

    def on_step_end(self, args, state, control, model=None, **kwargs):
        weights = [p for _, p in sorted(self.trainer.model.named_parameters()) if p.requires_grad]
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"rank": rank(), "step": state.global_step, "weights": _digest(weights),
                                "batches": self.batches}) + "\n")
        self.batches = []


def _digest(tensors):
    import hashlib
    h = hashlib.sha256()
    for t in tensors:
        h.update(t.detach().to("cpu").contiguous().float().numpy().tobytes())
    return h.hexdigest()[:16]


def trace_ranks(trainer):
    """Adds the RankTrace diagnostic when TRAINING_RANK_TRACE is set."""
    folder = os.environ.get("TRAINING_RANK_TRACE")
    if folder:
        os.makedirs(folder, exist_ok=True)
        trainer.add_callback(RankTrace(folder, trainer))


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
        return error_kind("dataset")
    if isinstance(error, ConfigError):
        return error_kind("config")
    if name == "OutOfMemoryError" or "CUDA out of memory" in text:
        return error_kind("out_of_memory")
    if isinstance(error, ImportError):
        return error_kind("dependency")
    if "CUDA" in text or "cuDNN" in text or "NCCL" in text:
        return error_kind("cuda")
    return error_kind("unknown")


_PEER_LOST = ("Connection reset by peer", "Connection closed by peer", "remote process exited",
              "Watchdog caught collective operation timeout", "DistBackendError", "NCCL communicator was aborted")


def _die_with_launcher():
    """A rank started by torchrun lives in a session of its own: if the launcher is killed, the rank must not live
    on holding its GPU, so the kernel kills it when its parent dies (Linux)."""
    if "TORCHELASTIC_RUN_ID" not in os.environ or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:
            os._exit(1)  # the launcher died before the line above
    except OSError:
        pass


def run_main(events, main):
    """Runs the trainer's main function; an uncaught exception becomes one error event and exit code 1. In a job of
    several processes, an error that only says another rank went away is reported as kind "peer_lost", so that the
    service looks for the rank that failed first (in the launcher's summary) rather than blaming this one."""
    _die_with_launcher()
    try:
        main()
    except SystemExit:
        raise
    except BaseException as error:  # noqa: B902 - every failure must reach the service classified
        traceback.print_exc()
        sys.stderr.flush()
        message = "%s: %s" % (type(error).__name__, error)
        reported = classify(error)
        if world_size() > 1 and any(p in message for p in _PEER_LOST):
            reported, message = error_kind("peer_lost"), "rank %d lost another rank of the job: %s" % (rank(), message)
        events.emit("error", kind=reported, message=message[:2000])
        sys.exit(EXIT_CODES["error"])


def run_trainer(main):
    """The __main__ of a trainer: reads the JSON arguments named by argv[1], opens the events file, installs the
    SIGTERM handler and runs main(args, events, stop) under run_main."""
    with open(sys.argv[1], encoding="utf-8") as f:
        args = json.load(f)
    events = EventWriter(args["events_file"])
    stop = StopSignal.install(events)
    run_main(events, lambda: main(args, events, stop))
