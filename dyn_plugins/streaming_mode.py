"""The deployment switch for how tool calls reach streaming clients: ``DYN_PLUGINS_TOOL_STREAMING``.

``live`` (the default): a call is announced as soon as its name is certain and its arguments stream as
the model writes them, as vLLM's and SGLang's own parsers do. ``buffered``: each call is delivered whole
once it is complete (Dynamo's jail), for clients that cannot handle argument fragments. Read by both
engine adapters when a response starts streaming; logged once per process.
"""

from __future__ import annotations

import logging

from . import switches

ENV = "DYN_PLUGINS_TOOL_STREAMING"
CHOICES = ("live", "buffered")

logger = logging.getLogger("dyn_plugins")
_logged: set[str] = set()


def buffered() -> bool:
    """True when ``DYN_PLUGINS_TOOL_STREAMING=buffered``; an unknown value is logged (with the valid
    choices) and treated as ``live``."""
    raw = switches.word(ENV)
    mode = raw or "live"
    if mode not in CHOICES:
        if raw not in _logged:
            _logged.add(raw)
            logger.warning("dyn-plugins: %s=%r is not one of %s; tool calls stream live", ENV, raw, ", ".join(CHOICES))
        return False
    if raw and raw not in _logged:
        _logged.add(raw)
        logger.info("dyn-plugins: tool calls stream %s (%s=%s)", mode, ENV, raw)
    return mode == "buffered"
