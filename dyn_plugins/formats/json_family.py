"""The JSON-payload family (Dynamo's "Basic JSON" parser): jamba, nemotron_deci, default.

Wire shapes: ``START payload END`` regions (``<tool_calls>[...]</tool_calls>``), start tokens with
no end (``<|python_tag|>{...}``), or a bare payload with no marker at all. A payload is a JSON array
of ``{"name", "arguments"|"parameters"}`` objects or one such object.

Dynamo decides such a message as a whole: all regions are joined into one payload, a payload that
is not a call list falls back to the raw text (or to nothing, for nemotron_deci), and text after the
payload is dropped. So this machine streams the text before the first start marker (trimmed, as
Dynamo trims it), holds everything from that marker on, and resolves it at the end of the message
with :func:`basic_json_parse`, a port of Dynamo's algorithm (docs/formats.md section 3). Without any marker,
the text from the first ``{``/``[`` on is a candidate payload, held only while it can still be
valid JSON. In buffered mode the calls of this family are therefore emitted when the message ends.

Live mode streams them ahead of that decision (:class:`CallWalker`): in a payload after a start marker,
or in a bare payload that begins the message (as Llama-3-style models emit calls), each call object is
announced once its ``"name"`` string is complete and its ``"arguments"`` / ``"parameters"`` object has
opened, and the arguments' source text streams as it arrives (a trailing ``,``, whitespace or key is
held until the next value starts). The end of the message settles the streamed calls against the
decision; where the two differ (the payload turned out not to be a call list, e.g. two wrapped arrays
that Dynamo joins into an array of arrays), the streamed calls stand with their arguments closed. A
bare payload at the start that is complete when text follows it keeps its calls in live mode (the
text after it is the message), where Dynamo's whole-message rule would make it all text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from . import jsontext
from .jsonstream import _STRING, JsonTokens
from .jsontext import JsonScanner
from .machine import WS, Machine, RawSink
from .tools import ToolIndex

Calls = list[tuple[str, str]]


@dataclass(frozen=True)
class JsonFamilyConfig:
    """Markers and flags of one JSON-family format (mirrors Dynamo's JsonParserConfig)."""

    start_tokens: tuple[str, ...]
    #: "" = the payload may also run to the end of the message (single-token style).
    end_tokens: tuple[str, ...]
    #: nemotron_deci: on failure, strip the markers and retry strictly; never return markup as text.
    strip_markup: bool = False

    @property
    def markers(self) -> tuple[str, ...]:
        return self.start_tokens + tuple(e for e in self.end_tokens if e)


# -- Dynamo's one-shot algorithm --------------------------------------------------------------------


def _call_of(obj: Any, text: str, pos: int, keys: tuple[str, str]) -> tuple[str, str] | None:
    """``(name, arguments source text)`` if ``obj`` (decoded from ``text[pos:]``) is a call."""
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
        return None
    for key in keys:
        if isinstance(obj.get(key), dict):
            members, _ = jsontext.object_members(text, pos)
            start, end = [(s, e) for k, _, s, e in members if k == key][-1]
            return obj["name"], text[start:end]
    return None


def recognize(payload: str) -> Calls | None:
    """Calls in a payload, or None when it is not a recognised shape.

    A single object must be a call (``parameters`` tried before ``arguments``); an array is
    recognised even if no element is a call (elements that are not calls are skipped; for them
    ``arguments`` is tried first). Arguments keep their source text.
    """
    text = payload.strip(WS)
    ok, value = jsontext.try_loads(text)
    if not ok:
        return None
    if isinstance(value, dict):
        call = _call_of(value, text, 0, ("parameters", "arguments"))
        return [call] if call else None
    if not isinstance(value, list):
        return None
    calls: Calls = []
    pos = 1
    for item in value:
        pos = jsontext.skip_ws(text, pos)
        if isinstance(item, dict):
            call = _call_of(item, text, pos, ("arguments", "parameters"))
            if call:
                calls.append(call)
        _, pos = jsontext.raw_value_at(text, pos)
        pos = jsontext.skip_ws(text, pos) + 1  # past ',' or ']'
    return calls


def _extract_regions(text: str, start: str, end: str, recovery: bool) -> str | None:
    bodies = [m.strip(WS) for m in re.findall(re.escape(start) + "(.*?)" + re.escape(end), text, re.S)]
    if len(bodies) == 1:
        return bodies[0]
    if bodies:
        return "[" + ",".join(bodies) + "]"
    if recovery and start in text:
        tail = text[text.index(start) + len(start) :].strip(WS)
        if tail.startswith(("{", "[")):
            return tail
    return None


def _single_token_payload(text: str, start: str, recovery: bool) -> str | None:
    """Payload of an end-less start token: ``;``-separated objects or one array per segment. With
    ``recovery``, an object the output broke off in is closed (docs/formats.md section 3.3, truncated-JSON repair)."""
    if start not in text:
        return None
    items: list[str] = []
    for seg in text.split(start):
        seg = seg.strip(WS)
        if seg.startswith("{"):
            pos = 0
            while seg.startswith("{", pos):
                ok, end = _complete_value(seg, pos)
                if not ok:
                    repaired = jsontext.repair_truncated(seg[pos:]) if recovery else None
                    if repaired is not None and _complete_value(repaired, 0) == (True, len(repaired)):
                        items.append(repaired)
                    break
                items.append(seg[pos:end])
                pos = jsontext.skip_ws(seg, end)
                if not seg.startswith(";", pos):
                    break
                pos = jsontext.skip_ws(seg, pos + 1)
        elif seg.startswith("["):
            cut = seg.rfind("]")
            ok, value = jsontext.try_loads(seg[: cut + 1]) if cut >= 0 else (False, None)
            if ok and isinstance(value, list):
                items.extend(jsontext.dumps_compact(v) for v in value)
    return "[" + ",".join(items) + "]" if items else ""


def _complete_value(text: str, pos: int) -> tuple[bool, int]:
    try:
        _, end = jsontext.raw_value_at(text, pos)
    except ValueError:
        return False, pos
    return True, end


def _strip_markup(payload: str, cfg: JsonFamilyConfig) -> str:
    """nemotron_deci's strict retry: peel start tokens off the front and end tokens off the back."""
    changed = True
    while changed:
        changed = False
        payload = payload.strip(WS)
        for tok in cfg.start_tokens:
            if tok and payload.startswith(tok):
                payload, changed = payload[len(tok) :], True
        for tok in cfg.end_tokens:
            if tok and payload.endswith(tok):
                payload, changed = payload[: -len(tok)], True
    return payload


def basic_json_parse(message: str, cfg: JsonFamilyConfig, recovery: bool = True) -> tuple[Calls, str]:
    """Dynamo's Basic JSON parse of a whole message: ``(calls, normal_text)``.

    ``recovery`` is the finalize path (EOF recovery, truncated-JSON repair, nemotron_deci's markup
    stripping), which Dynamo uses for non-streaming responses and at the end of a stream.
    """
    text = message.strip(WS)
    if not text:
        return [], ""
    payload, normal = text, text
    no_valid_json = False
    if not any(tok in text for tok in cfg.start_tokens):
        cut = _first_bracket(text)
        if cut >= 0:
            normal, payload = text[:cut].strip(WS), text[cut:].strip(WS)
    else:
        found = False
        for start in cfg.start_tokens:
            for end in _ends_for(cfg, start):
                prefix = text[: text.index(start)].strip(WS) if start in text else ""
                got = _single_token_payload(payload, start, recovery) if not end else _extract_regions(payload, start, end, recovery)
                if got is not None:
                    no_valid_json = got == ""
                    payload, normal, found = got, prefix, True
                    break
            if found:
                break
    calls = recognize(payload)
    if calls is not None:
        return calls, normal
    if recovery:
        repaired = jsontext.repair_truncated(payload)
        fixed = recognize(repaired) if repaired is not None else None
        if fixed:
            return fixed, normal
    if no_valid_json:
        return [], ""
    if recovery and cfg.strip_markup and any(tok in text for tok in cfg.markers):
        return recognize(_strip_markup(payload, cfg)) or [], ""
    return [], text


def _ends_for(cfg: JsonFamilyConfig, start: str) -> tuple[str, ...]:
    """The end tokens tried with ``start``, in order. Dynamo tries every start with every end; a start
    token whose own end (same position) is "" is tried end-less first, else its missing-end recovery
    would read ``<|python_tag|>{...}; {...}`` (or one followed by prose) as a single broken payload."""
    ends = cfg.end_tokens
    own = ends[cfg.start_tokens.index(start)] if len(ends) == len(cfg.start_tokens) else None
    return ("",) + tuple(e for e in ends if e) if own == "" else ends


def _first_bracket(text: str) -> int:
    a, b = text.find("{"), text.find("[")
    if a < 0:
        return b
    return a if b < 0 or a < b else b


# -- live previews ---------------------------------------------------------------------------------

_ARG_KEYS = ("arguments", "parameters")


class CallWalker(JsonTokens):
    """Reads one payload (a call object, an array of them, or ``;``-separated objects) as it streams and
    announces its calls through the machine's preview API; the end of the message settles them."""

    separator = ";"

    __slots__ = ("machine", "depth", "key", "parts", "name", "capture", "held", "announced", "in_args", "args_level", "compact_arrays", "compact")

    def __init__(self, machine: Machine, *, compact_arrays: bool = False) -> None:
        super().__init__(lenient_ws=True)
        self.machine = machine
        #: an array payload after an end-less start token is re-serialised compactly (see _single_token_payload)
        self.compact_arrays = compact_arrays
        self.compact = False
        self.depth = 0  # stack depth of the call objects: 1 (objects) or 2 (an array of them)
        self.key = ""  # the current key of the call object
        self.parts: list[str] = []  # decoded text of the key or name string being read
        self.name: str | None = None
        self.capture: list[str] | None = None  # source of the arguments read before the name was known
        self.held = ""  # separators / key of the arguments held until the next value starts
        self.announced = False
        self.in_args = False
        self.args_level = 0

    def plain_args(self) -> bool:
        """Inside a string of an announced call's arguments: plain text (no quote, backslash or control
        character) streams as it is (``feed``'s fast path, and the machine's :class:`~.machine.RawSink`)."""
        return self.announced and self.in_args and self.mode == _STRING and not self.held and not self.is_key

    def feed(self, text: str) -> None:
        # the common case, a piece of an argument string's content, passes straight through
        if self.plain_args() and text.isprintable() and '"' not in text and "\\" not in text:
            self.machine.preview_args(text)
            return
        super().feed(text)

    # the arguments object's source, piece by piece
    def _raw(self, raw: str, value: bool) -> None:
        if not self.in_args:
            return
        if not value:
            self.held += raw
            return
        text, self.held = self.held + raw, ""
        if self.announced:
            self.machine.preview_args(text)
        elif self.capture is not None:
            self.capture.append(text)

    def _at_object(self) -> bool:
        return len(self.stack) == self.depth and self.stack[-1:] == ["}"]

    def on_punct(self, c: str) -> None:
        if self.in_args:
            self._raw(c, c not in ",:")
            if c in "}]" and len(self.stack) == self.args_level - 1:
                self.in_args = False
                self.held = ""
            return
        if c in "[{" and len(self.stack) == 1 and not self.depth:
            self.depth = 1 if c == "{" else 2
            self.compact = self.compact_arrays and c == "["
        if c == "{" and len(self.stack) == self.depth:
            self.name, self.capture, self.announced, self.key = None, None, False, ""
            self.held = ""
        elif c == "{" and len(self.stack) == self.depth + 1 and self.key in _ARG_KEYS and self.capture is None and not self.announced:
            self.in_args = True
            self.args_level = len(self.stack)
            self.capture = ["{"]
            self._announce()

    def on_ws(self, raw: str) -> None:
        if not self.compact:
            self._raw(raw, False)

    def on_string_start(self) -> None:
        if self.in_args:
            self._raw('"', not self.is_key)
        else:
            self.parts = []

    def on_string_part(self, decoded: str, raw: str) -> None:
        if self.in_args:
            self._raw(encode_basestring(decoded)[1:-1] if self.compact else raw, not self.is_key)
        else:
            self.parts.append(decoded)

    def on_string_end(self) -> None:
        if self.in_args:
            self._raw('"', not self.is_key)
        elif self._at_object():
            text = "".join(self.parts)
            if self.is_key:
                self.key = text
            elif self.key == "name" and self.name is None:
                self.name = text
                self._announce()

    def on_scalar(self, raw: str) -> None:
        if self.compact:
            raw = jsontext.dumps_compact(jsontext.try_loads(raw)[1])
        self._raw(raw, True)

    def _announce(self) -> None:
        if self.announced or self.name is None or self.capture is None:
            return
        self.announced = True
        self.machine.preview_start(self.name)
        self.machine.preview_args("".join(self.capture))
        self.capture = []


# -- streaming machine ----------------------------------------------------------------------------

_PROSE, _CANDIDATE, _CANDIDATE_DONE, _HOLD = range(4)


class JsonFamilyMachine(Machine):
    """Streams the text before the payload; holds the payload and resolves it at the end."""

    def __init__(self, tools: ToolIndex, cfg: JsonFamilyConfig) -> None:
        super().__init__(tools, cfg.markers)
        self.cfg = cfg
        self.is_start = [m in cfg.start_tokens for m in cfg.markers]
        self.state = _PROSE
        self.candidate_ok = True  # the first "{"/"[" of a marker-less message may start a payload
        self.held: list[str] = []
        self.scanner = JsonScanner()
        self.walker: CallWalker | None = None  # live mode: previews of the payload being read

    def live_sink(self) -> RawSink | None:
        if self.state == _HOLD and self.walker is not None and self.walker.plain_args():
            return self.raw_sink(self.held, escape=False)
        return None

    def on_text(self, text: str) -> None:
        while text:
            st = self.state
            if st == _HOLD:  # first: the common token, inside the payload after a start token
                self.held.append(text)
                if self.walker is not None:
                    self.walker.feed(text)
                return
            if st == _PROSE:
                cut = _first_bracket(text) if self.candidate_ok else -1
                if cut < 0:
                    self.prose(text)
                    return
                self.prose(text[:cut])
                self.state, self.held = _CANDIDATE, []
                if self.live and self._at_start:
                    self.walker = CallWalker(self)
                text = text[cut:]
            elif st == _CANDIDATE:
                status, pos = self.scanner.feed(text)
                self.held.append(text[:pos])
                if self.walker is not None:
                    self.walker.feed(text[:pos])
                text = text[pos:]
                if status == JsonScanner.BAD:
                    self._release_candidate()
                elif status == JsonScanner.DONE:
                    self.state = _CANDIDATE_DONE
            elif st == _CANDIDATE_DONE:
                rest = text.lstrip(WS)
                self.held.append(text[: len(text) - len(rest)])
                if rest:
                    self._release_candidate()
                text = rest

    def on_marker(self, marker: int) -> None:
        literal = self.lexer.markers[marker]
        st = self.state
        if st == _HOLD and not self.is_start[marker]:
            self.held.append(literal)
            self.walker = None  # an end marker: the region's payload is over
            return
        if self.is_start[marker]:
            if st == _HOLD:
                self.held.append(literal)
            else:
                if st != _PROSE:
                    self._release_candidate()
                self.state, self.held = _HOLD, [literal]
                self.candidate_ok = False
            self.walker = CallWalker(self, compact_arrays=_ends_for(self.cfg, literal)[0] == "") if self.live else None
            return
        # an end marker before any start marker
        if st == _PROSE:
            if not self.cfg.strip_markup:
                self.prose(literal)
            return
        if self.cfg.strip_markup:
            self.held.append(literal)
            self.state = _HOLD  # resolved at the end: calls, or nothing
        elif st == _CANDIDATE:
            self.on_text(literal)  # it may sit inside a JSON string of the candidate
        else:
            self._release_candidate()
            self.prose(literal)

    def on_end(self) -> None:
        if self.walker is not None:
            self.walker.end()
        if self.state == _PROSE:
            return
        body = "".join(self.held)
        self.held = []
        calls, normal = basic_json_parse(body, self.cfg)
        if calls:
            self.drop_ws()
            for name, args in calls:
                self.call(name, args)
        elif self.state != _HOLD or normal.strip(WS):
            # Not a payload: the raw text is the content. (A bare array that holds no call is
            # kept as text too, where Dynamo would drop it.)
            self.prose(body)
        else:
            self.drop_ws()  # a payload with no usable call, or nemotron_deci's stripped markup

    def _release_candidate(self) -> None:
        """The bare candidate cannot be a payload after all: it is ordinary text.

        Live mode, calls already announced from it and the payload complete: its calls stand (see the
        module docstring) and only what follows is text."""
        complete = self.state == _CANDIDATE_DONE
        self.candidate_ok = False
        self.walker = None
        body = "".join(self.held)
        self.held = []
        self.state = _PROSE
        if self.previewing():
            calls = basic_json_parse(body, self.cfg)[0] if complete else []
            for name, args in calls:
                self.call(name, args)
            while self.previewing():
                self.no_call()
            if calls:
                return
        self.prose(body)

