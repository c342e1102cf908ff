#!/usr/bin/env bash
# .venv-vllm: vLLM 0.32.0 on the CPU torch build (no GPU needed: the tests run vLLM's serving code in-process),
# pytest, and this package's BUILT WHEEL (so the vllm.general_plugins entry point is the installed one).
# vLLM drags in torchvision/torchaudio/torchcodec builds that do not match the CPU torch: they are removed
# (nothing on the tool-parser / chat-serving path needs them; see DEVELOPERS.md).
source "$(dirname "$0")/common.sh"
VENV="${VENV_VLLM:-$ROOT/.venv-vllm}"
if [[ "$(make_venv "$VENV")" == fresh ]]; then
    "$VENV/bin/python" -m pip install -q "vllm==0.32.0" pytest >&2
    "$VENV/bin/python" -m pip uninstall -q -y torchvision torchaudio torchcodec >&2 || true
    touch "$VENV/.complete"
fi
install_wheel "$VENV"
echo "$VENV"
