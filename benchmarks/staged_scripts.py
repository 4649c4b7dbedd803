"""The runner's Python scripts staged in one folder the way the SDK stages them for a job (PythonTrainer.stage):
the shared modules of runner-python, the TRL runner's scripts, and training-api's failure-cause table beside
training_events.py. The benchmarks import trl_train from there, so they run the program a job runs."""
import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = ["runner-python/src/main/resources/dev/koder/training/python",
           "runner-trl/src/main/resources/dev/koder/training/trl"]
CAUSES = "training-api/src/main/resources/dev/koder/training/api/failure-causes.json"


def stage(work):
    """Copies the scripts into WORK/python, puts that folder first on sys.path, and returns it."""
    out = os.path.join(work, "python")
    os.makedirs(out, exist_ok=True)
    for source in SOURCES:
        for name in os.listdir(os.path.join(ROOT, source)):
            if name.endswith(".py"):
                shutil.copy(os.path.join(ROOT, source, name), os.path.join(out, name))
    shutil.copy(os.path.join(ROOT, CAUSES), os.path.join(out, os.path.basename(CAUSES)))
    if out not in sys.path:
        sys.path.insert(0, out)
    return out
