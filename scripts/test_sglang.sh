#!/usr/bin/env bash
# SGLang adapter tests against the installed wheel (entry point + .pth hook included), once per SGLang version:
# SGLANG_VERSION (one version) or every one of SGLANG_VERSIONS (common.sh), each in its own venv
# (scripts/venv_sglang.sh), pruned after its suite under .ci/run. Extra arguments go to pytest.
source "$(dirname "$0")/common.sh"
cd "$ROOT"
versions=("${SGLANG_VERSIONS[@]}")
[[ -z "${SGLANG_VERSION:-}" ]] || versions=("$SGLANG_VERSION")
# The real-tokenizer matrix (~2.5 min) runs on the newest tested version only.
ONE_VERSION="${SGLANG_VERSIONS[-1]}"
ONE_VERSION_FILES=(tests/sglang/test_sglang_real_tokenizers.py)
each_version SGLANG SGLang "$ROOT/scripts/venv_sglang.sh" "${versions[@]}" -- -q -m sglang -p no:cacheprovider \
    -W ignore::DeprecationWarning -W ignore::UserWarning tests/sglang "$@"
