"""register() behaviour in-process: overrides, the prefer-engine switch, idempotence, guarding."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from dyn_plugins import names

pytestmark = pytest.mark.vllm


class FakeManager:
    """A ToolParserManager-shaped registry (vLLM's API) pre-filled like vLLM 0.32."""

    def __init__(self, lazy: dict[str, tuple[str, str]], eager: dict[str, Any] | None = None) -> None:
        self.lazy_parsers = dict(lazy)
        self.tool_parsers = dict(eager or {})

    def register_lazy_module(self, name: str, module_path: str, class_name: str) -> None:
        self.lazy_parsers[name] = (module_path, class_name)

    def list_registered(self) -> list[str]:
        return sorted(set(self.lazy_parsers) | set(self.tool_parsers))


VLLM_LIKE = {
    "glm47": ("vllm.tool_parsers.glm47_moe_tool_parser", "Glm47MoeModelToolParser"),
    "jamba": ("vllm.tool_parsers.jamba_tool_parser", "JambaToolParser"),
    "phi4_mini_json": ("vllm.tool_parsers.phi4mini_tool_parser", "Phi4MiniJsonToolParser"),
    "hermes": ("vllm.tool_parsers.hermes_tool_parser", "Hermes2ProToolParser"),
}


def test_ours_replaces_vllm_glm47_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """glm47/jamba: Dynamo's behaviour wins over vLLM's same-name parser by default."""
    from dyn_plugins.vllm.plugin import register_tool_parsers

    monkeypatch.delenv(names.PREFER_ENGINE_ENV, raising=False)
    mgr = FakeManager(VLLM_LIKE)
    _, replaced, _ = register_tool_parsers(mgr)
    assert mgr.lazy_parsers["glm47"] == ("dyn_plugins.vllm.parser", "DynGlm47ToolParser")
    assert sorted(replaced) == ["glm47", "jamba"]


def test_prefer_engine_keeps_vllm_glm47(monkeypatch: pytest.MonkeyPatch) -> None:
    """DYN_PLUGINS_PREFER_ENGINE=glm47 keeps vLLM's glm47 (jamba is still ours)."""
    from dyn_plugins.vllm.plugin import register_tool_parsers

    monkeypatch.setenv(names.PREFER_ENGINE_ENV, "glm47")
    mgr = FakeManager(VLLM_LIKE)
    register_tool_parsers(mgr)
    assert mgr.lazy_parsers["glm47"] == VLLM_LIKE["glm47"]
    assert mgr.lazy_parsers["jamba"] == ("dyn_plugins.vllm.parser", "DynJambaToolParser")


def test_prefer_engine_in_real_vllm(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same switch against vLLM's real ToolParserManager: get_tool_parser('glm47') is vLLM's class."""
    from vllm.tool_parsers import ToolParserManager

    from dyn_plugins.vllm.plugin import register_tool_parsers

    monkeypatch.setenv(names.PREFER_ENGINE_ENV, "glm47")
    monkeypatch.setattr(ToolParserManager, "lazy_parsers", dict(ToolParserManager.lazy_parsers))
    monkeypatch.setattr(ToolParserManager, "tool_parsers", dict(ToolParserManager.tool_parsers))
    ToolParserManager.tool_parsers.pop("glm47", None)
    ToolParserManager.lazy_parsers["glm47"] = ("vllm.tool_parsers.glm47_moe_tool_parser", "Glm47MoeModelToolParser")
    register_tool_parsers(ToolParserManager)
    assert ToolParserManager.get_tool_parser("glm47").__module__.startswith("vllm.")


def test_engine_alias_points_at_vllm_class() -> None:
    """phi4 (Dynamo spelling) -> vLLM's phi4_mini_json entry; a name vLLM already has is left alone."""
    from dyn_plugins.vllm.plugin import register_tool_parsers

    mgr = FakeManager(VLLM_LIKE)
    done, _, unsupported = register_tool_parsers(mgr)
    assert mgr.lazy_parsers["phi4"] == VLLM_LIKE["phi4_mini_json"]
    assert mgr.lazy_parsers["hermes"] == VLLM_LIKE["hermes"]
    assert done["phi4"] == "vllm phi4_mini_json"
    assert any(m.startswith("kimi_k2:") for m in unsupported)  # not in this fake vLLM: a log line, no crash


def test_eager_cached_builtin_does_not_shadow_ours() -> None:
    """If vLLM already imported its jamba (cached eagerly), ours still wins."""
    from dyn_plugins.vllm.plugin import register_tool_parsers

    mgr = FakeManager(VLLM_LIKE, eager={"jamba": type("JambaToolParser", (), {"__module__": "vllm.tool_parsers.jamba_tool_parser"})})
    register_tool_parsers(mgr)
    assert "jamba" not in mgr.tool_parsers
    assert mgr.lazy_parsers["jamba"][0] == "dyn_plugins.vllm.parser"


def test_register_is_idempotent() -> None:
    """Running register() twice (vLLM loads plugins in several places) changes nothing the second time."""
    from vllm.tool_parsers import ToolParserManager

    from dyn_plugins.vllm.plugin import register

    register()
    first = dict(ToolParserManager.lazy_parsers)
    register()
    assert ToolParserManager.lazy_parsers == first


def test_register_never_raises(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """A failure inside register() is logged, not raised (it would abort vLLM's start-up)."""
    from dyn_plugins.vllm import plugin

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("simulated vLLM API change")

    monkeypatch.setattr(plugin, "register_tool_parsers", boom)
    with caplog.at_level(logging.ERROR, logger="vllm.dyn_plugins"):
        plugin.register()
    assert "registering the vLLM parsers failed" in caplog.text


@pytest.mark.parametrize("name", names.all_names("tool"))
def test_dynamo_fallback_style_construction(name: str, model_dir: Any) -> None:
    """Dynamo's --dyn-chat-processor vllm: get_tool_parser(name) then cls(tokenizer, tools) for every name."""
    from vllm.tokenizers import get_tokenizer
    from vllm.tool_parsers import ToolParserManager

    from dyn_plugins.samples import TOOLS, sample, samples
    from dyn_plugins.replay.vllm_serving import chat_request, load_plugins

    load_plugins()
    tokenizer = get_tokenizer(str(model_dir))
    tools = chat_request(TOOLS, stream=False).tools
    cls = ToolParserManager.get_tool_parser(name)
    try:
        parser = cls(tokenizer, tools)
    except (RuntimeError, ValueError) as exc:  # vLLM's own parsers that need their model's vocabulary
        assert not cls.__module__.startswith("dyn_plugins"), exc
        pytest.xfail(f"vLLM's {cls.__name__} needs its model's tokenizer: {exc}")
    assert isinstance(parser, cls) and parser.model_tokenizer is tokenizer
    fmt = getattr(cls, "format_name", None)
    if fmt is not None and samples(fmt):  # ours (deepseek_v4 has no recorded output): it parses its format
        result = parser.extract_tool_calls(sample(fmt, "single").text, chat_request(TOOLS, stream=False))
        assert [c.function.name for c in result.tool_calls] == ["get_weather"]
