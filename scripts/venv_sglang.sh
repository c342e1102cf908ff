#!/usr/bin/env bash
# .venv-sglang: SGLang 0.5.23's serving front end (sglang --no-deps plus what its CLI, chat serving and parsers
# import, at the versions it pins: see install_sglang_frontend in common.sh), pytest, and this package's BUILT WHEEL
# (so the entry point and the .pth import hook are the installed ones). The serving code runs on CPU.
source "$(dirname "$0")/common.sh"
VENV="${VENV_SGLANG:-$ROOT/.venv-sglang}"
if [[ "$(make_venv "$VENV")" == fresh ]]; then
    install_sglang_frontend "$VENV" 0.5.23 pytest
    touch "$VENV/.complete"
fi
install_wheel "$VENV"
echo "$VENV"
