#!/usr/bin/env bash
# The main job. With a GPU: `vllm serve` a model with a Dynamo tool-call parser (MODEL, PARSER, PORT override the
# defaults). Without one: the replay demo (recorded outputs of every format through vLLM's and SGLang's real
# chat-completions serving code, see scripts/demo.sh).
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
echo "No GPU found: running the replay demo (scripts/demo.sh)." >&2
exec "$ROOT/scripts/demo.sh" "$@"
