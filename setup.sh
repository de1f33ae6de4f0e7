#!/usr/bin/env bash
# Installs everything a fresh Debian/Ubuntu machine lacks to run the grader and
# its tests: apt packages (Python venv support, Fashion-MNIST), then a virtual
# environment with the pinned Python packages and the CPU-only build of torch.
#
# It is also Gradescope's setup.sh (Ubuntu 22.04, system Python 3.10, run as
# root from /autograder/source). Re-running it is safe: each step is skipped
# when already done.
#
#   VENV=path             where the virtual environment goes (default: .venv here)
#   PYTHON=python3        the interpreter to build it from
#   TORCH_WHEEL=path|url  the CPU build of torch to install, when the CPU-only index
#                         is not reachable from this machine
#   GRADESCOPE=1|0        refuse anything but a CPU build of torch (default: 1 when
#                         /autograder/source exists, as on Gradescope)
#
#   bash setup.sh --dev   also installs what the repository's own tests, benchmarks and
#                         instructor tools use (requirements-dev.txt), and headless
#                         Chromium and a font, to render report.html
#
# torch: the public index gives Linux x86-64 the CUDA build (a ~4.8 GB environment
# that needs ~700 MB just to import: it does not fit Gradescope's 768 MB). So torch
# comes first from TORCH_WHEEL, else from the CPU-only index (one try, short
# timeout), else as a +cpu wheel from pip's own find-links/indexes. On Gradescope
# (/autograder/source exists) anything but a CPU build stops the setup; elsewhere a
# CUDA build is installed with a loud note, and the grader measures what it costs.
set -euo pipefail
cd "$(dirname "$0")"
DEV=0
for arg in "$@"; do
  case "$arg" in
    --dev) DEV=1 ;;
    *) echo "setup.sh: unknown option $arg (only --dev)" >&2; exit 2 ;;
  esac
done
VENV=${VENV:-$PWD/.venv}
# The system interpreter, not a per-user one (pyenv under /root): the sandboxed
# student process runs as another user and must be able to execute it.
if [ -z "${PYTHON:-}" ]; then
  if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
if [ -z "${GRADESCOPE:-}" ]; then
  if [ -d /autograder/source ]; then GRADESCOPE=1; else GRADESCOPE=0; fi
fi
CPU_INDEX=https://download.pytorch.org/whl/cpu
TORCH_VERSION=$(sed -n 's/^torch==\([^ ;#]*\).*/\1/p' requirements.txt)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }
say() { echo "setup.sh: $*"; }

need_apt=()
[ -d /usr/share/datasets/fashion-mnist ] || need_apt+=(dataset-fashion-mnist)
"$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || need_apt+=(python3-venv python3-pip)
if [ "$DEV" = 1 ]; then
  command -v chromium >/dev/null || need_apt+=(chromium)
  [ -d /usr/share/fonts/truetype/dejavu ] || need_apt+=(fonts-dejavu-core)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
  else
    say "no apt-get here; install ${need_apt[*]} yourself" >&2
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
pip() { "$VENV/bin/python" -m pip --disable-pip-version-check "$@"; }
pip install -q --upgrade pip

# "VERSION CUDA" of the installed torch (CUDA is None for the CPU build), or nothing.
torch_build() { "$VENV/bin/python" -c 'import torch; print(torch.__version__, torch.version.cuda)' 2>/dev/null || true; }
is_cpu_build() { case "$(torch_build)" in "$TORCH_VERSION"*" None") return 0 ;; *) return 1 ;; esac; }
cpu_wheel_name() {
  "$VENV/bin/python" -c 'import sys; t = "cp%d%d" % sys.version_info[:2]; print(f"torch-'"$TORCH_VERSION"'+cpu-{t}-{t}-manylinux_2_28_x86_64.whl")'
}

install_cpu_torch() {
  if [ -n "${TORCH_WHEEL:-}" ]; then
    say "installing torch from TORCH_WHEEL=$TORCH_WHEEL"
    pip install -q --no-deps "$TORCH_WHEEL"
    return
  fi
  if is_cpu_build; then
    return
  fi
  local reason
  if reason=$("$VENV/bin/python" - "$CPU_INDEX/torch/" <<'PY' 2>&1
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=10).close()
PY
  ); then
    say "installing torch $TORCH_VERSION (CPU build) from $CPU_INDEX"
    if pip install -q --no-deps --timeout 30 --retries 0 --index-url "$CPU_INDEX" "torch==$TORCH_VERSION+cpu"; then
      return
    fi
    say "the download from $CPU_INDEX failed (pip's error above)"
  else
    say "the CPU-only index $CPU_INDEX is not reachable ($(echo "$reason" | tail -n 1 | cut -c1-200))"
  fi
  say "looking for torch $TORCH_VERSION+cpu in pip's configured find-links and indexes"
  if pip install -q --no-deps "torch==$TORCH_VERSION+cpu"; then
    return
  fi
  say "no CPU build of torch $TORCH_VERSION found."
  return 1
}

cpu_torch_missing() {
  local wheel
  wheel=$(cpu_wheel_name)
  cat >&2 <<EOF
setup.sh: STOPPED: Gradescope needs the CPU-only build of torch $TORCH_VERSION, and this
setup.sh: machine has $1. The CUDA build from the public index does not fit
setup.sh: Gradescope's 768 MB (it takes ~700 MB just to import) and would fail every torch test.
setup.sh: Download $wheel
setup.sh: from $CPU_INDEX/torch/ and run:  TORCH_WHEEL=/path/to/$wheel bash setup.sh
EOF
  exit 1
}

if ! install_cpu_torch; then
  if [ "$GRADESCOPE" = 1 ]; then
    cpu_torch_missing "no way to get it (see above)"
  fi
  say "WARNING: installing torch from the public index, which on Linux x86-64 is the CUDA build"
  say "WARNING: (a ~4.8 GB environment); set TORCH_WHEEL=... to a CPU wheel to avoid it."
fi
if [ "$DEV" = 1 ]; then
  pip install -q -r requirements-dev.txt
else
  pip install -q -r requirements.txt
fi

# What did we get?
build=$(torch_build)
if [ -z "$build" ]; then
  say "STOPPED: torch does not import in $VENV" >&2
  "$VENV/bin/python" -c 'import torch' || true
  exit 1
fi
if ! is_cpu_build; then
  if [ "$GRADESCOPE" = 1 ]; then
    cpu_torch_missing "torch $build (version and CUDA)"
  fi
  cat <<EOF
setup.sh: ==================================================================================
setup.sh: NOTE: torch ${build% *} is a CUDA build (CUDA ${build#* }), not the CPU build.
setup.sh: Grading works here: the grader measures what an idle torch worker costs and gives
setup.sh: student code the same memory above it as with the CPU build, but the whole grading
setup.sh: then needs more than Gradescope's 768 MB. For Gradescope, use the CPU build:
setup.sh: TORCH_WHEEL=/path/to/$(cpu_wheel_name) bash setup.sh
setup.sh: ==================================================================================
EOF
fi

# What an idle worker costs here (the grader budgets student memory above it; kept for later gradings).
"$VENV/bin/python" -m autograder.sandbox.budget | sed 's/^/setup.sh: memory: /'

# The sandboxed student process runs as another user: it must be able to reach
# and read the interpreter and its packages (the grader locks everything else).
chmod -R a+rX "$VENV"
chmod a+x "$PWD"
say "ready ($("$VENV/bin/python" --version), torch ${build% *}, venv $VENV)"
