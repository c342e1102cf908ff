#!/usr/bin/env bash
# Core, CLI and fuzz tests in .venv-core against the installed wheel (pytest from the venv: the
# source tree is not on sys.path, so what is tested is what users install).
source "$(dirname "$0")/common.sh"
VENV="$("$ROOT/scripts/venv_core.sh" | tail -1)"
cd "$ROOT"
run_then_prune "$VENV" "$VENV/bin/pytest" -q -m "not vllm and not sglang and not dynamo" tests/core tests/cli "$@"
