#!/usr/bin/env bash
# .venv-sglang: SGLang 0.5.23 (with its CUDA torch build; imports and runs the serving code on CPU), pytest, and
# this package's BUILT WHEEL (so the entry point and the .pth import hook are the installed ones).
source "$(dirname "$0")/common.sh"
VENV="${VENV_SGLANG:-$ROOT/.venv-sglang}"
if [[ "$(make_venv "$VENV")" == fresh ]]; then
    "$VENV/bin/python" -m pip install -q "sglang==0.5.23" pytest >&2
    touch "$VENV/.complete"
fi
install_wheel "$VENV"
echo "$VENV"
