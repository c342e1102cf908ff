#!/usr/bin/env bash
# SGLang adapter tests in .venv-sglang against the installed wheel (entry point + .pth hook included).
source "$(dirname "$0")/common.sh"
VENV="$("$ROOT/scripts/venv_sglang.sh" | tail -1)"
cd "$ROOT"
rc=0
"$VENV/bin/pytest" -q -m sglang -p no:cacheprovider -W ignore::DeprecationWarning -W ignore::UserWarning tests/sglang "$@" || rc=$?
prune_venv "$VENV"
exit $rc
