#!/usr/bin/env bash
# vLLM adapter tests in .venv-vllm against the installed wheel (the venv's own pytest: the source tree is not on
# sys.path, so the entry point and modules under test are the installed ones). No GPU, no network.
source "$(dirname "$0")/common.sh"
VENV="$("$ROOT/scripts/venv_vllm.sh" | tail -1)"
cd "$ROOT"
export VLLM_TARGET_DEVICE="${VLLM_TARGET_DEVICE:-cpu}" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
run_then_prune "$VENV" "$VENV/bin/pytest" -q -m vllm tests/vllm "$@"
