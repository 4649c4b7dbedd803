#!/usr/bin/env bash
# Makes here what benchmarks/gpu/run-on-gpu.sh needs on a GPU machine that has no Java, no trl, no datasets and no
# network, as two folders git ignores, to carry there (the device tool's carry: [".gpu", ".whl"]):
#   .gpu/jre           a Java runtime made with jlink (the modules the training command uses)
#   .gpu/training.jar  the training command, with its dependencies
#   .whl/              pure-Python wheels of the TRL runner's trl and datasets (at its pinned versions) and of the
#                      two packages datasets needs that such a machine lacks (dill, multiprocess)
# and checks that with the working tree (which travels too) they stay under the 64 MiB a call may send. Run from anywhere; needs a JDK 17 with jlink,
# Maven (the first ./training builds the jar), binutils' strip, and pip with access to the package index or mirror.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
pins=runner-trl/src/main/resources/dev/koder/training/trl/requirements.txt
pin() {
  local line
  line="$(grep -E "^$1==" "$pins")" || { echo "prepare: $1 is not pinned in $pins" >&2; exit 1; }
  echo "$line"
}

./training --help >/dev/null
rm -rf .gpu .whl
mkdir -p .gpu .whl
jlink --add-modules java.base,java.logging,java.net.http,java.sql,java.management,java.naming,java.xml,jdk.unsupported,jdk.crypto.ec \
  --strip-debug --no-man-pages --no-header-files --compress=2 --output .gpu/jre
strip --strip-unneeded .gpu/jre/lib/server/libjvm.so  # its symbols are 4 MiB of the carry
# The GPU machines are Linux on x86-64, and the script runs the command's pool, estimate, submit and status only: the
# jar leaves behind the native libraries for other systems (SQLite's, the tokenizers') and what only the server, S3
# blobs, metrics and charts use (Jetty, Javalin, the AWS SDK, Prometheus, JFreeChart, Kotlin), which keeps the carry
# within its limit. `./training quickstart` ran end to end on this jar and runtime (2026-12-06).
python3 - training-cli/target/training-cli-all.jar .gpu/training.jar <<'PY'
import re, sys, zipfile
left = re.compile(r"^(native/lib/(?!linux-x86_64/)[^/]+/|org/sqlite/native/(?!Linux/x86_64/)(?!Linux/$)[^/]+/.+"
                  r"|software/amazon/|org/eclipse/jetty/|io/javalin/|jakarta/servlet/|io/prometheus/|org/jfree/|kotlin/)")
with zipfile.ZipFile(sys.argv[1]) as src, zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as out:
    for item in src.infolist():
        if not left.match(item.filename):
            out.writestr(item, src.read(item.filename))
PY
PIP_RETRIES="${PIP_RETRIES:-0}" python3 -m pip download -q --no-deps --disable-pip-version-check -d .whl \
  "$(pin trl)" "$(pin datasets)" dill multiprocess
for w in .whl/*.whl; do
  case "$w" in
    *-none-any.whl) ;;
    *) echo "prepare: $w is not a pure-Python wheel; it may not install on the GPU machine's Python" >&2 ;;
  esac
done
.gpu/jre/bin/java -jar .gpu/training.jar --version >/dev/null
carried=$(du -sb .gpu .whl | awk '{s += $1} END {print s}')
tree=$(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1)
echo "prepare: .gpu and .whl hold $((carried / 1024 / 1024)) MiB ($(ls .whl | tr '\n' ' ')), the working tree" \
  "$((tree / 1024 / 1024)) MiB"
if [ $((carried + tree)) -ge $((64 * 1024 * 1024)) ]; then
  echo "prepare: more than the 64 MiB a call may send" >&2
  exit 1
fi
