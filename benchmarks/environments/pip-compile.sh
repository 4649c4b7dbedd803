#!/usr/bin/env bash
# Times making a runner's virtualenv two ways: pip compiling as it installs (pip's default), and pip with
# --no-compile followed by a parallel compileall (what ManagedEnvironments does). Prints one line per way.
# Usage: benchmarks/environments/pip-compile.sh [requirements.txt]   (default: the TRL runner's pins)
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
req="${1:-$here/runner-trl/src/main/resources/dev/koder/training/trl/requirements.txt}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export PIP_RETRIES="${PIP_RETRIES:-0}"
pip_install() {
  "$1/bin/python" -m pip install -q --disable-pip-version-check --no-input --progress-bar off "${@:2}" -r "$req" \
    > "$work/pip.log" 2>&1 || { cat "$work/pip.log" >&2; exit 1; }
}
seconds() { python3 -c 'import sys,time; print(f"{time.time()-float(sys.argv[1]):.1f}")' "$1"; }

python3 -m venv "$work/a"
t=$(date +%s.%N); pip_install "$work/a"; echo "pip compiling as it installs: $(seconds "$t") s"

python3 -m venv "$work/b"
t=$(date +%s.%N); pip_install "$work/b" --no-compile; pip_s=$(seconds "$t")
t=$(date +%s.%N); "$work/b/bin/python" -m compileall -q -j 0 "$work/b/lib" > /dev/null || true
echo "pip --no-compile: $pip_s s, then compileall -j 0: $(seconds "$t") s"
