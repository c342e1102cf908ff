#!/usr/bin/env bash
# Dynamo end-to-end tests: a real `python -m dynamo.frontend --dyn-chat-processor ENGINE` over HTTP, with replay
# workers, in each Dynamo venv (scripts/venv_dynamo.sh). Each venv runs the whole tests/dynamo suite for its engine:
# first with this package installed, then (test_dynamo_without_plugin.py) with the wheel uninstalled for the
# module's duration to show today's failures. Engines: DYN_E2E_ENGINES (default "vllm sglang"); extra args go to
# pytest. Venvs are created one at a time, each just before its tests.
source "$(dirname "$0")/common.sh"
cd "$ROOT"
rc=0
for engine in ${DYN_E2E_ENGINES:-vllm sglang}; do
    venv="$("$ROOT/scripts/venv_dynamo.sh" "$engine" | tail -1)"
    wheel="$(ls -t "$ROOT"/dist/dyn_plugins-*.whl | head -1)"
    echo "== Dynamo end to end: $engine ($venv)"
    # A hard limit per engine: SIGTERM makes pytest stop (tests/dynamo/conftest.py turns it into KeyboardInterrupt)
    # and its fixtures kill the frontend and workers; KILL 60 s later if even that hangs.
    # Dynamo's native path runs no engine code: its differential suite runs once, in the vLLM venv
    only=(); [[ "$engine" == vllm ]] || only=(--ignore=tests/dynamo/test_dynamo_native_differential.py)
    run_then_prune "$venv" env DYN_E2E_ENGINE="$engine" DYN_E2E_WHEEL="$wheel" timeout --kill-after=60 \
        "${DYN_E2E_TIMEOUT:-600}" "$venv/bin/pytest" -q -m dynamo -p no:cacheprovider tests/dynamo "${only[@]}" "$@" || rc=1
done
exit $rc
