#!/usr/bin/env bash
# Benchmarks (benchmarks/): streaming parse cost, then start-up costs.
#  1. benchmarks.streaming: the core in .venv-core, and, where those venvs exist (scripts/venv_vllm.sh,
#     scripts/venv_sglang.sh), our adapters and the engines' built-in parsers in the newest tested engine venvs (engine_venv in common.sh):
#     one interpreter per engine, results merged into one table.
#  2. benchmarks.latency: when a streaming client sees a tool call (one long write_file call, one token per
#     delta): ours live and buffered vs the built-ins, in the same venvs.
#  3. benchmarks.startup: the import hook (.pth) at interpreter start, plugin registration per engine
#     (fresh processes; skip with BENCH_STARTUP=0).
#   scripts/bench.sh            full run (1k..64k tokens, 5 repeats, 60 s per cell; ~6 min here on 2 shared cores)
#   scripts/bench.sh --quick    CI-sized (1k..16k, 3 repeats, 10 s per cell)
# Extra arguments go to every streaming run (e.g. --formats glm47,jamba --sizes 1k,16k).
# Output (gitignored): bench-results/streaming-{core,vllm,sglang}.json, merged bench-results/streaming.{json,md},
# bench-results/latency-{core,vllm,sglang}.json merged into bench-results/latency.md,
# bench-results/startup.jsonl. The README table is the committed copy of streaming.md.
source "$(dirname "$0")/common.sh"
cd "$ROOT"
OUT="$ROOT/bench-results"
mkdir -p "$OUT"
CORE="$("$ROOT/scripts/venv_core.sh" | tail -1)"
files=("$OUT/streaming-core.json")
echo "== core ($CORE)" >&2
"$CORE/bin/python" -m benchmarks.streaming --runners core,core-buffered,floor,floor-pass --tag core "$@" >/dev/null
"$CORE/bin/python" -m benchmarks.latency --runners core,core-buffered --tag core >/dev/null
latency=("$OUT/latency-core.json")
for engine in vllm sglang; do
    venv="$(engine_venv "$engine")"
    if [[ -f "$venv/.complete" ]]; then
        echo "== $engine ($venv)" >&2
        if VLLM_TARGET_DEVICE=cpu "$venv/bin/python" -m benchmarks.streaming --runners "$engine,$engine-builtin" --tag "$engine" "$@" >/dev/null; then
            files+=("$OUT/streaming-$engine.json")
        else
            echo "($engine run failed; its columns stay n/a)" >&2
        fi
        if VLLM_TARGET_DEVICE=cpu "$venv/bin/python" -m benchmarks.latency --runners "$engine,$engine-buffered,$engine-builtin" --tag "$engine" >/dev/null; then
            latency+=("$OUT/latency-$engine.json")
        else
            echo "($engine latency run failed)" >&2
        fi
    else
        echo "(no $venv: $engine columns are n/a; create it with scripts/venv_$engine.sh)" >&2
    fi
done
"$CORE/bin/python" -m benchmarks.streaming --merge "${files[@]}" --out "$OUT/streaming.json" --markdown "$OUT/streaming.md"
"$CORE/bin/python" -m benchmarks.latency --merge "${latency[@]}" --markdown "$OUT/latency.md"

if [[ "${BENCH_STARTUP:-1}" != 0 ]]; then
    echo >&2
    echo "== start-up (fresh processes, the wheels installed in the venvs: scripts/venv_*.sh reinstall them)" >&2
    rm -f "$OUT/startup.jsonl"
    "$CORE/bin/python" -m benchmarks.startup hook --python "$CORE/bin/python" --out "$OUT/startup.jsonl"
    for engine in vllm sglang; do
        venv="$(engine_venv "$engine")"
        if [[ -f "$venv/.complete" ]]; then
            "$CORE/bin/python" -m benchmarks.startup "$engine" --python "$venv/bin/python" --out "$OUT/startup.jsonl" \
                || echo "($engine start-up measurement failed)" >&2
        fi
    done
fi
