#!/usr/bin/env bash
# Replay demo through SGLang's real OpenAIServingChat (recorded outputs of every format, streaming and not).
source "$(dirname "$0")/common.sh"
VENV="$("$ROOT/scripts/venv_sglang.sh" | tail -1)"
cd /tmp
exec "$VENV/bin/python" -W ignore -m dyn_plugins.replay.sglang_demo "$@"
