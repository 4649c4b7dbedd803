"""Prints what this Python can do for a trainer, as one JSON object: versions, packages, CUDA.

Run by the service with the interpreter it is about to use; it never fails on a missing package, it
reports it (null version).
"""
import importlib
import json
import platform
import sys

PACKAGES = sys.argv[1:]


def version_of(name):
    try:
        from importlib.metadata import version
        return version(name)
    except Exception:
        return None


def main():
    report = {
        "python": "%d.%d.%d" % sys.version_info[:3],
        "executable": sys.executable,
        "platform": platform.platform(),
        "packages": {name: version_of(name) for name in PACKAGES},
        "cuda": False,
        "cuda_devices": 0,
        "bf16": False,
        "torch_error": None,
    }
    try:
        torch = importlib.import_module("torch")
        report["cuda"] = bool(torch.cuda.is_available())
        report["cuda_devices"] = torch.cuda.device_count() if report["cuda"] else 0
        report["bf16"] = bool(report["cuda"] and torch.cuda.is_bf16_supported())
    except Exception as e:  # reported, not raised: the caller decides what is missing
        report["torch_error"] = "%s: %s" % (type(e).__name__, e)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
