#!/usr/bin/env bash
# SGLang adapter tests against the installed wheel (entry point + .pth hook included), once per SGLang version:
# SGLANG_VERSION (one version) or every one of SGLANG_VERSIONS (common.sh), each in its own venv
# (scripts/venv_sglang.sh), pruned after its suite under .ci/run. Extra arguments go to pytest.
source "$(dirname "$0")/common.sh"
cd "$ROOT"
versions=("${SGLANG_VERSIONS[@]}")
[[ -z "${SGLANG_VERSION:-}" ]] || versions=("$SGLANG_VERSION")
failed=()
for v in "${versions[@]}"; do
    echo "=== SGLang $v" >&2
    start=$SECONDS
    VENV="$(SGLANG_VERSION="$v" "$ROOT/scripts/venv_sglang.sh" | tail -1)"
    echo "=== SGLang $v: venv ready in $((SECONDS - start)) s" >&2
    start=$SECONDS
    run_then_prune "$VENV" "$VENV/bin/pytest" -q -m sglang -p no:cacheprovider -W ignore::DeprecationWarning \
        -W ignore::UserWarning tests/sglang "$@" || failed+=("$v")
    echo "=== SGLang $v: suite done in $((SECONDS - start)) s" >&2
done
if ((${#failed[@]})); then echo "SGLang suites failed for: ${failed[*]}" >&2; exit 1; fi
