"""Structural-tag keys of our parser classes do not depend on import order (fresh interpreters).

vLLM registers its ``harmony`` structural tag only when ``vllm/parser/harmony.py`` is imported, and our parser
module builds its classes at import; an import order in which ``harmony`` got no key once made
``tool_choice="required"`` unconstrained for harmony. Our classes now answer with our own tags
(:mod:`dyn_plugins.vllm.structural_tags`), so whichever module is imported first, every format with a layout gets
our key (qwen3 has none: vLLM's generic JSON path).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.vllm

from dyn_plugins import structural_tags  # noqa: E402
from dyn_plugins.vllm import compat  # noqa: E402

#: the structural-tag key per format, written out. Where this vLLM asks the parser for its tag and its xgrammar
#: can express ours (0.32 / 0.33): our key for every format with a layout. With an older xgrammar (vLLM 0.31):
#: vLLM's own key where it has one for the wire format, else None (vLLM's generic JSON path).
OURS = hasattr(compat.ToolParser, "get_structural_tag") and structural_tags.supported()
EXPECTED = (
    {fmt: "dyn_plugins" for fmt in ("glm47", "jamba", "nemotron_deci", "deepseek_v3_1", "harmony", "deepseek_v3_2", "default", "deepseek_v4", "phi4")}
    | {"qwen3": None}
    if OURS
    else {
        "glm47": "glm_4_7",
        "jamba": None,
        "nemotron_deci": None,
        "deepseek_v3_1": "deepseek_v3_1",
        "harmony": "harmony",
        "deepseek_v3_2": "deepseek_v3_2",
        "default": None,
        "deepseek_v4": "deepseek_v4",
        "phi4": None,
        "qwen3": None,
    }
)
ORDERS = {
    "ours-first": ["dyn_plugins.vllm.parser", "vllm.parser.harmony"],
    "vllm-harmony-first": ["vllm.parser.harmony", "dyn_plugins.vllm.parser"],
}
PROBE = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
from dyn_plugins.vllm.parser import PARSERS
print("TAGS" + json.dumps({fmt: cls.structural_tag_model for fmt, cls in PARSERS.items()}))
"""


@pytest.mark.parametrize("order", list(ORDERS))
def test_structural_tag_keys_independent_of_import_order(order: str) -> None:
    """Every format gets its structural-tag key whichever module a process imports first."""
    env = {**os.environ, "VLLM_TARGET_DEVICE": "cpu", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-c", PROBE, *ORDERS[order]], capture_output=True, text=True, env=env, timeout=300, cwd="/")
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(l for l in proc.stdout.splitlines() if l.startswith("TAGS"))
    assert json.loads(line[len("TAGS") :]) == EXPECTED
