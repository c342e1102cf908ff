#!/usr/bin/env bash
# Replay demo (no GPU, no network): recorded model outputs of every Dynamo format pushed through the engines' real
# chat-completions serving code with dyn-plugins' parsers. vLLM first (.venv-vllm), then SGLang if its helper exists.
source "$(dirname "$0")/common.sh"
VENV="$("$ROOT/scripts/venv_vllm.sh" | tail -1)"
cd "$ROOT"
export VLLM_TARGET_DEVICE="${VLLM_TARGET_DEVICE:-cpu}" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
status=0
"$VENV/bin/python" -m dyn_plugins.replay.vllm_demo "$@" || status=$?
if [[ -x "$ROOT/scripts/demo_sglang.sh" ]]; then
    "$ROOT/scripts/demo_sglang.sh" "$@" || status=$?
fi
exit "$status"
