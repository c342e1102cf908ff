#!/usr/bin/env bash
# `make test`: every suite in order (core + CLI, vLLM per version, SGLang per version, Dynamo end to end, the real
# server), each run even when an earlier one failed; a summary with each suite's time at the end. The real server's
# JUnit XML is left in test-results/server.xml.
# While a suite runs, the venvs of the next suites are built in the background (installs are download and disk
# bound, tests CPU bound). With DYN_PLUGINS_PRUNE_VENVS=1 (CI) at most PREFETCH_ROOM (default 2) engine venvs are
# on disk at a time. The lock in each venv script (common.sh lock_venv) makes a suite that reaches a venv still
# being built wait for it. DYN_PLUGINS_PREFETCH=0: each venv is built only when its suite starts.
source "$(dirname "$0")/common.sh"
cd "$ROOT"

# engine venvs on disk now (the core venv is small and not counted)
engine_venvs() { compgen -G "$ROOT/.venv-vllm*"; compgen -G "$ROOT/.venv-sglang*"; compgen -G "$ROOT/.venv-dynamo*"; true; }

prefetch() {
    local cmd
    export DYN_PLUGINS_PREFETCHING=1
    for cmd in "${BUILDS[@]}"; do
        if [[ "${DYN_PLUGINS_PRUNE_VENVS:-0}" == 1 ]]; then
            while (( $(engine_venvs | wc -l) >= ${PREFETCH_ROOM:-2} )); do sleep 5; done
        fi
        env $cmd >/dev/null || echo "$cmd failed (its suite builds it again)" >&2
    done
}

BUILDS=()
for v in "${VLLM_VERSIONS[@]}"; do BUILDS+=("VLLM_VERSION=$v $ROOT/scripts/venv_vllm.sh"); done
for v in "${SGLANG_VERSIONS[@]}"; do BUILDS+=("SGLANG_VERSION=$v $ROOT/scripts/venv_sglang.sh"); done
BUILDS+=("$ROOT/scripts/venv_dynamo.sh vllm" "$ROOT/scripts/venv_dynamo.sh sglang" "$ROOT/scripts/venv_vllm_cpu.sh")

rm -f "$ROOT"/.venv-locks/*.used
if [[ "${DYN_PLUGINS_PREFETCH:-1}" == 1 ]]; then
    setsid bash -c "$(declare -f engine_venvs prefetch); $(declare -p BUILDS ROOT); prefetch" 2> >(sed -u 's/^/[prefetch] /' >&2) &
    PREFETCH_PID=$!
    trap 'kill -- -"$PREFETCH_PID" 2>/dev/null || true' EXIT
fi

failed=()
summary=()
for suite in test_core test_vllm test_sglang test_dynamo test_server; do
    echo "=== $suite" >&2
    start=$SECONDS
    rc=0
    args=()
    # the real server's results, for the README's per-format table (tests/server/results_table.py)
    [[ "$suite" != test_server ]] || { mkdir -p "$ROOT/test-results"; args=(--junitxml="$ROOT/test-results/server.xml"); }
    "$ROOT/scripts/$suite.sh" "${args[@]}" || rc=$?
    summary+=("$suite: $((SECONDS - start)) s, exit $rc")
    ((rc == 0)) || failed+=("$suite")
done
printf '%s\n' "${summary[@]}" >&2
if ((${#failed[@]})); then echo "failed: ${failed[*]}" >&2; exit 1; fi
echo "all suites passed" >&2
