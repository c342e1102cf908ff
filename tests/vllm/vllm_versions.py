"""The installed vLLM release, for expectations that differ between the tested versions (0.31, 0.32, 0.33).

Behaviour that changed between releases is asserted per version (the expected value depends on
:data:`VLLM`), never skipped.
"""

from __future__ import annotations

from importlib.metadata import version

#: (major, minor) of the installed vLLM, e.g. (0, 33)
VLLM: tuple[int, int] = tuple(int(p) for p in version("vllm").split(".")[:2])  # type: ignore[assignment]
