#!/usr/bin/env bash
# .venv-sglang-X.Y.Z: SGLang SGLANG_VERSION's serving front end (default: the newest tested, the last of
# SGLANG_VERSIONS in common.sh; sglang --no-deps plus what its CLI, chat serving and parsers import, at the
# versions it pins: see install_sglang_frontend in common.sh), pytest, and this package's BUILT WHEEL (so the entry
# point and the .pth import hook are the installed ones). The serving code runs on CPU.
source "$(dirname "$0")/common.sh"
VERSION="${SGLANG_VERSION:-${SGLANG_VERSIONS[-1]}}"
VENV="$(engine_venv sglang "$VERSION")"
lock_venv "$VENV"
if [[ "$(make_venv "$VENV")" == fresh ]]; then
    start=$SECONDS
    install_sglang_frontend "$VENV" "$VERSION" pytest
    echo "venv_sglang: SGLang $VERSION installed in $((SECONDS - start)) s ($(du -sh "$VENV" | cut -f1))" >&2
    touch "$VENV/.complete"
fi
install_wheel "$VENV"
echo "$VENV"
