"""What a streaming client ends up with in each delivery mode (issue 11), for the engine tests.

``live`` (the default) announces a call once its name is certain; ``buffered``
(``DYN_PLUGINS_TOOL_STREAMING=buffered``) delivers whole calls, as Dynamo's jail. They differ only for
output that breaks off inside a call: the one-shot parse (the non-streaming response) drops an
unfinished call in glm47, DeepSeek V3.1, Harmony and DSML, but a live stream has already announced it,
so it keeps it with its arguments closed into valid JSON (never retracted; dyn_plugins/formats/machine.py).
The ``mode`` fixture runs a test in both modes (import it into the test module).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

MODES = ("live", "buffered")

#: formats whose "truncated" sample (dyn_plugins/samples.py) ends inside a named call that parse() drops
DROPPED_WHEN_TRUNCATED = frozenset({"glm47", "deepseek_v3_1", "harmony", "deepseek_v3_2"})
#: that call as a live stream delivers it: announced, then its arguments closed where the output stopped
ANNOUNCED_TRUNCATED_CALL: tuple[str, dict[str, Any]] = ("get_time", {"timezone": "Asia/To"})


def streamed_calls(fmt: str, scenario: str, full_calls: list[Any], mode: str) -> list[Any]:
    """The calls a stream of sample ``fmt/scenario`` reassembles to, given the non-streaming ``full_calls``."""
    if mode == "live" and scenario == "truncated" and fmt in DROPPED_WHEN_TRUNCATED:
        return [*full_calls, ANNOUNCED_TRUNCATED_CALL]
    return list(full_calls)


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The delivery mode under test; ``buffered`` sets the switch before any parser of the test is built."""
    if request.param == "buffered":
        monkeypatch.setenv("DYN_PLUGINS_TOOL_STREAMING", "buffered")
    else:
        monkeypatch.delenv("DYN_PLUGINS_TOOL_STREAMING", raising=False)
    yield request.param
