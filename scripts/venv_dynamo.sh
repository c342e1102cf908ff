#!/usr/bin/env bash
# The two Dynamo end-to-end venvs, with the engine versions ai-dynamo 1.6.1 pins:
#   .venv-dynamo-vllm    vLLM 0.31.0 (CPU torch) + ai-dynamo 1.6.1
#   .venv-dynamo-sglang  SGLang 0.5.21 (--no-deps + its CPU-side imports) + ai-dynamo 1.6.1
# ai-dynamo / ai-dynamo-runtime go in with --no-deps (ai-dynamo requires `aisimulate`, which the package index does
# not have, and its engine extras pull nixl/cupy/ray that the CPU tests never touch); the small libraries its
# frontend and worker import are listed in DYNAMO_DEPS. Each venv gets pytest and this package's BUILT wheel.
# Usage: scripts/venv_dynamo.sh [vllm|sglang]...   (default: both, one after the other); prints one venv per line.
source "$(dirname "$0")/common.sh"
set -o pipefail

DYNAMO_WHEELS=("ai-dynamo==1.6.1" "ai-dynamo-runtime==1.6.1")
DYNAMO_DEPS=(redis kubernetes zstandard msgspec pyzmq prometheus-client aiohttp uvloop certifi tqdm pytest)

venv_for() {
    local engine="$1" venv start
    case "$engine" in
        vllm) venv="${VENV_DYNAMO_VLLM:-$ROOT/.venv-dynamo-vllm}" ;;
        sglang) venv="${VENV_DYNAMO_SGLANG:-$ROOT/.venv-dynamo-sglang}" ;;
        *) echo "unknown engine: $engine (vllm|sglang)" >&2; return 2 ;;
    esac
    lock_venv "$venv"
    if [[ "$(make_venv "$venv")" == fresh ]]; then
        start=$SECONDS
        if [[ "$engine" == vllm ]]; then
            "$venv/bin/python" -m pip install -q "vllm==0.31.0" "${DYNAMO_DEPS[@]}" 2>&1 | pip_quiet
            # Built against the CUDA torch, and nothing on the chat-processor path needs them.
            "$venv/bin/python" -m pip uninstall -q -y torchvision torchaudio torchcodec >&2 || true
        else
            # sglang 0.5.21's own requirements cannot be installed here (cuda-tile is a stub that downloads from
            # pypi.nvidia.com; flashinfer, deep-gemm, ... are GPU kernels): its front end only (common.sh).
            install_sglang_frontend "$venv" 0.5.21 "${DYNAMO_DEPS[@]}"
        fi
        "$venv/bin/python" -m pip install -q --no-deps "${DYNAMO_WHEELS[@]}" 2>&1 | pip_quiet
        echo "venv_dynamo: $engine installed in $((SECONDS - start)) s" >&2
        touch "$venv/.complete"
    fi
    install_wheel "$venv"
    echo "$venv"
}

engines=("$@")
[[ ${#engines[@]} -eq 0 ]] && engines=(vllm sglang)
for e in "${engines[@]}"; do venv_for "$e"; done
