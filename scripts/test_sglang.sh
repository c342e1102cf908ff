#!/usr/bin/env bash
# SGLang adapter tests in .venv-sglang against the installed wheel (entry point + .pth hook included).
source "$(dirname "$0")/common.sh"
VENV="$("$ROOT/scripts/venv_sglang.sh" | tail -1)"
cd "$ROOT"
run_then_prune "$VENV" "$VENV/bin/pytest" -q -m sglang -p no:cacheprovider -W ignore::DeprecationWarning -W ignore::UserWarning tests/sglang "$@"
