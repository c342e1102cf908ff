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
# SGLang's CPU-side imports, pinned where sglang 0.5.21 pins them. torch: the CUDA build from the index (it runs on
# CPU); a CPU torch cannot be used: sglang's config import needs torchvision, and the index's torchvision only loads
# with the CUDA torch ("operator torchvision::nms does not exist").
SGLANG_FRONTEND_DEPS=(
    "torch==2.13.0" torchvision "transformers==5.12.1" "tokenizers==0.22.2" "openai==2.6.1" "openai-harmony==0.0.4"
    xgrammar partial_json_parser pybase64 orjson pydantic fastapi uvicorn python-multipart interegular einops numpy
    pillow psutil setproctitle sentencepiece regex requests IPython dill
)

# pip's "Location ... is ignored" lines about this machine's extra index, and its report of sglang's requirements
# that the --no-deps install leaves out on purpose: noise.
quiet() {
    grep -v -e "is ignored: it is neither a file nor a directory" -e "^sglang 0.5.21 requires " \
        -e "^ERROR: pip's dependency resolver does not currently take into account" >&2 || true
}

venv_for() {
    local engine="$1" venv start
    case "$engine" in
        vllm) venv="${VENV_DYNAMO_VLLM:-$ROOT/.venv-dynamo-vllm}" ;;
        sglang) venv="${VENV_DYNAMO_SGLANG:-$ROOT/.venv-dynamo-sglang}" ;;
        *) echo "unknown engine: $engine (vllm|sglang)" >&2; return 2 ;;
    esac
    if [[ "$(make_venv "$venv")" == fresh ]]; then
        start=$SECONDS
        if [[ "$engine" == vllm ]]; then
            "$venv/bin/python" -m pip install -q "vllm==0.31.0" "${DYNAMO_DEPS[@]}" 2>&1 | quiet
            # Built against the CUDA torch, and nothing on the chat-processor path needs them.
            "$venv/bin/python" -m pip uninstall -q -y torchvision torchaudio torchcodec >&2 || true
        else
            # sglang 0.5.21's own requirements cannot be installed here (cuda-tile is a stub that downloads from
            # pypi.nvidia.com; flashinfer, deep-gemm, ... are GPU kernels): --no-deps, plus what Dynamo's SGLang
            # chat processor imports (tokenizer, chat template, protocol, function-call and reasoning parsers).
            "$venv/bin/python" -m pip install -q --no-deps "sglang==0.5.21" 2>&1 | quiet
            # The machine's find-links directory has a CPU torch 2.13.0+cpu that pip would prefer: point find-links
            # at an empty directory for this install (torch from the index, the build torchvision loads with).
            no_links="$(mktemp -d)"
            PIP_FIND_LINKS="$no_links" "$venv/bin/python" -m pip install -q "${SGLANG_FRONTEND_DEPS[@]}" "${DYNAMO_DEPS[@]}" 2>&1 | quiet
            rmdir "$no_links"
        fi
        "$venv/bin/python" -m pip install -q --no-deps "${DYNAMO_WHEELS[@]}" 2>&1 | quiet
        echo "venv_dynamo: $engine installed in $((SECONDS - start)) s" >&2
        touch "$venv/.complete"
    fi
    install_wheel "$venv"
    echo "$venv"
}

engines=("$@")
[[ ${#engines[@]} -eq 0 ]] && engines=(vllm sglang)
for e in "${engines[@]}"; do venv_for "$e"; done
