"""The environment switches (``dyn_plugins.switches``): one rule for ours, each engine's own rule for its allow-list.

Why: the ``.pth`` line, the import hook and ``dyn-plugins doctor`` used to read the same variables with rules that
disagreed. The allow-list expectations are vLLM's and SGLang's parsing (``vllm/envs.py`` +
``vllm/plugins/__init__.py``; ``sglang/srt/plugins/__init__.py``); the engine suites check the same values against
the real engines (``tests/vllm/test_vllm_registration.py``, ``tests/sglang/test_sglang_registration.py``).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dyn_plugins import switches
from dyn_plugins.cli import hook_status

#: DYN_PLUGINS_NO_HOOK value (None: unset) -> hook disabled
FLAG_CASES = [(None, False), ("", False), ("0", False), (" false ", False), ("No", False), ("1", True), (" yes", True), ("TRUE", True), ("anything", True)]

#: (engine, value (None: unset), names allowed (None: no restriction), our entry point loads)
ALLOW_CASES = [
    ("vllm", None, None, True),
    ("vllm", "", frozenset({""}), False),
    ("vllm", "dyn_plugins", frozenset({"dyn_plugins"}), True),
    ("vllm", "a,dyn_plugins", frozenset({"a", "dyn_plugins"}), True),
    ("vllm", "a, dyn_plugins", frozenset({"a", " dyn_plugins"}), False),  # vLLM compares names as written
    ("vllm", "other", frozenset({"other"}), False),
    ("sglang", None, None, True),
    ("sglang", "", None, True),  # SGLang: empty = no restriction
    ("sglang", " ", frozenset(), False),  # set but naming nothing: nothing loads
    ("sglang", ",", frozenset(), False),
    ("sglang", " dyn_plugins , other", frozenset({"dyn_plugins", "other"}), True),
    ("sglang", "other", frozenset({"other"}), False),
]


@pytest.mark.parametrize(("value", "disabled"), FLAG_CASES)
def test_no_hook_flag(value: str | None, disabled: bool) -> None:
    env = {} if value is None else {switches.NO_HOOK: value}
    assert switches.hook_disabled(env) is disabled


@pytest.mark.parametrize(("value", "disabled"), FLAG_CASES)
def test_pth_line_applies_the_same_rule(value: str | None, disabled: bool) -> None:
    """The installed ``dyn_plugins.pth`` loads the hook exactly when the flag is off."""
    assert hook_status()["pth"], "the installed wheel ships dyn_plugins.pth"
    env = {k: v for k, v in os.environ.items() if k != switches.NO_HOOK}
    if value is not None:
        env[switches.NO_HOOK] = value
    code = "import sys; print('dyn_plugins._hook' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd="/", capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == str(not disabled), out.stderr


@pytest.mark.parametrize(("engine", "value", "names", "loads"), ALLOW_CASES)
def test_allow_list(engine: str, value: str | None, names: frozenset[str] | None, loads: bool) -> None:
    env = {} if value is None else {switches.ALLOW_LIST_ENV[engine]: value}
    assert switches.allow_list(engine, env) == names
    assert switches.allowed(engine, env) is loads


@pytest.mark.parametrize(("value", "expected"), [(None, ""), ("", ""), (" Buffered ", "buffered")])
def test_word(value: str | None, expected: str) -> None:
    assert switches.word("X", {} if value is None else {"X": value}) == expected


@pytest.mark.parametrize(("value", "expected"), [(None, set()), ("", set()), (" , ", set()), ("glm47, jamba ,", {"glm47", "jamba"})])
def test_name_list(value: str | None, expected: set[str]) -> None:
    assert switches.name_list("X", {} if value is None else {"X": value}) == expected
