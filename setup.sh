#!/usr/bin/env bash
# Installs everything a fresh Debian/Ubuntu machine lacks to run the grader and
# its tests: apt packages (Python venv support, Fashion-MNIST), then a virtual
# environment with the pinned Python packages.
#
# It is also Gradescope's setup.sh (Ubuntu 22.04, system Python 3.10, run as
# root from /autograder/source). Re-running it is safe: each step is skipped
# when already done.
#
#   VENV=path        where the virtual environment goes (default: .venv here)
#   PYTHON=python3   the interpreter to build it from
#
#   bash setup.sh --dev   also installs what the repository's own tests use:
#                         headless Chromium and a font, to render report.html
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

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }

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
    echo "setup.sh: no apt-get here; install ${need_apt[*]} yourself" >&2
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
if [ -d /autograder/source ] && [ -z "${CI:-}" ]; then
  # On Gradescope: the CPU-only build of torch (PyPI's default pulls CUDA, several GB).
  "$VENV/bin/python" -m pip install -q torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu || true
fi
"$VENV/bin/python" -m pip install -q -r requirements.txt
# The sandboxed student process runs as another user: it must be able to reach
# and read the interpreter and its packages (the grader locks everything else).
chmod -R a+rX "$VENV"
chmod a+x "$PWD"
echo "setup.sh: ready ($("$VENV/bin/python" --version), venv $VENV)"
