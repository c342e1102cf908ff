#!/usr/bin/env bash
# .venv-vllm-X.Y: vLLM VLLM_VERSION (default: the newest tested, the last of VLLM_VERSIONS in common.sh), pytest,
# and this package's BUILT WHEEL (so the vllm.general_plugins entry point is the installed one). No GPU needed:
# the tests run vLLM's serving code in-process.
# Torch: 0.31/0.32 pin torch 2.13, which pip takes from the machine's CPU wheel (find-links); their torchvision /
# torchaudio / torchcodec are then CUDA builds that do not load with it, and are removed (nothing on the
# tool-parser / chat-serving path needs them; see DEVELOPERS.md). 0.33 pins torch 2.14: the CUDA build from the
# index, with which they load, so nothing is removed (the check below decides, not the version number).
source "$(dirname "$0")/common.sh"
VERSION="${VLLM_VERSION:-${VLLM_VERSIONS[-1]}}"
VENV="$(engine_venv vllm "$VERSION")"
lock_venv "$VENV"
if [[ "$(make_venv "$VENV")" == fresh ]]; then
    start=$SECONDS
    "$VENV/bin/python" -m pip install -q "vllm==$VERSION" pytest 2>&1 | pip_quiet
    "$VENV/bin/python" -c "import vllm, torch; assert vllm.__version__.startswith('$VERSION'), vllm.__version__"
    if ! (cd / && "$VENV/bin/python" -c "import torchvision" 2>/dev/null); then
        "$VENV/bin/python" -m pip uninstall -q -y torchvision torchaudio torchcodec >&2 || true
    fi
    echo "venv_vllm: vLLM $VERSION installed in $((SECONDS - start)) s ($(du -sh "$VENV" | cut -f1))" >&2
    touch "$VENV/.complete"
fi
install_wheel "$VENV"
echo "$VENV"
