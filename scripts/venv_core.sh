#!/usr/bin/env bash
# .venv-core: no engine, just the package (built wheel) and the test tools.
source "$(dirname "$0")/common.sh"
VENV="${VENV_CORE:-$ROOT/.venv-core}"
lock_venv "$VENV"
if [[ "$(make_venv "$VENV")" == fresh ]]; then
    "$VENV/bin/python" -m pip install -q pytest hypothesis tokenizers jinja2 transformers >&2
    touch "$VENV/.complete"
fi
install_wheel "$VENV"
echo "$VENV"
