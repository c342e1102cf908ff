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
failed=()
for v in "${versions[@]}"; do
    echo "=== vLLM $v" >&2
    start=$SECONDS
    VENV="$(VLLM_VERSION="$v" "$ROOT/scripts/venv_vllm.sh" | tail -1)"
    echo "=== vLLM $v: venv ready in $((SECONDS - start)) s" >&2
    start=$SECONDS
    run_then_prune "$VENV" "$VENV/bin/pytest" -q -m vllm -p no:cacheprovider tests/vllm "$@" || failed+=("$v")
    echo "=== vLLM $v: suite done in $((SECONDS - start)) s" >&2
done
if ((${#failed[@]})); then echo "vLLM suites failed for: ${failed[*]}" >&2; exit 1; fi
