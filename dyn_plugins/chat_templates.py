"""The Jinja chat templates shipped with dyn-plugins (``templates/`` in the repo, ``dyn_plugins/templates/`` installed).

Each renders ``tools``, assistant ``tool_calls`` and tool results in one of our formats, for models whose own
chat template has no tool support. Use with ``vllm serve --chat-template PATH`` / ``sglang.launch_server
--chat-template PATH`` / Dynamo ``--custom-jinja-template PATH``; ``dyn-plugins template NAME`` prints PATH.
Tool-call arguments must reach the template as objects (vLLM and SGLang convert the OpenAI JSON strings).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ChatTemplate:
    """One shipped template: its file, the format it writes, and what a test tokenizer must know about it."""

    name: str
    #: dyn-plugins format (and Dynamo --tool-call-parser name) that parses what the model writes
    format: str
    #: string that ends an assistant turn (the model's stop token; not part of the parsed output), or ""
    end_of_turn: str
    #: the template's own control tokens (roles, turn markers), beyond the format's markers
    special_tokens: tuple[str, ...]
    description: str


TEMPLATES: dict[str, ChatTemplate] = {
    t.name: t
    for t in (
        ChatTemplate("default", "default", "<|im_end|>", ("<|im_start|>", "<|im_end|>"), "ChatML turns, <TOOLCALL>[...]</TOOLCALL> calls"),
        ChatTemplate(
            "nemotron_deci", "nemotron_deci", "<|eot_id|>", ("<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"),
            "Llama-Nemotron (Llama 3 turns), <TOOLCALL>[...]</TOOLCALL> calls, <TOOL_RESPONSE> results",
        ),
        ChatTemplate("jamba", "jamba", "<|eom|>", ("<|bom|>", "<|eom|>", "<|system|>", "<|user|>", "<|assistant|>", "<|tool|>"), "AI21 Jamba turns, <tool_calls>[...]</tool_calls> calls"),
        ChatTemplate("glm47", "glm47", "", ("[gMASK]", "<sop>", "<|system|>", "<|user|>", "<|assistant|>", "<|observation|>"), "GLM-4.5/4.7 turns, <arg_key>/<arg_value> calls"),
        ChatTemplate(
            "deepseek_v3_1", "deepseek_v3_1", "<｜end▁of▁sentence｜>",
            ("<｜User｜>", "<｜Assistant｜>", "<｜end▁of▁sentence｜>", "<｜tool▁output▁begin｜>", "<｜tool▁output▁end｜>", "</think>"),
            "DeepSeek V3.1 turns (non-thinking), <｜tool▁calls▁begin｜> calls",
        ),
        ChatTemplate(
            "deepseek_v3_2", "deepseek_v3_2", "<｜end▁of▁sentence｜>", ("<｜User｜>", "<｜Assistant｜>", "<｜end▁of▁sentence｜>", "</think>"),
            "DeepSeek V3.2 turns (non-thinking), DSML <｜DSML｜function_calls> calls",
        ),
        ChatTemplate("harmony", "harmony", "", ("<|start|>", "<|message|>", "<|end|>", "<|channel|>", "<|constrain|>", "<|call|>"), "gpt-oss Harmony: system/developer/tools, commentary-channel calls"),
    )
}


def templates_dir() -> Path:
    """Directory holding the installed ``*.jinja`` files."""
    return Path(__file__).resolve().parent / "templates"


def template_path(name: str) -> Path:
    """Installed path of template ``name`` (a template name, or a Dynamo tool-call name/alias served by it).

    Raises KeyError listing the templates for an unknown name, FileNotFoundError if the package lacks the file.
    """
    key = name
    if key not in TEMPLATES:
        from .names import lookup

        row = lookup(name, "tool")
        fmt = (row.ours or row.fallback_ours) if row is not None else None
        if fmt not in TEMPLATES:
            raise KeyError(f"no chat template for {name!r}; templates: {', '.join(TEMPLATES)}")
        key = fmt  # type: ignore[assignment]
    path = templates_dir() / f"{key}.jinja"
    if not path.is_file():
        raise FileNotFoundError(f"template {key!r} is not installed at {path} (reinstall dyn-plugins)")
    return path
