"""deepseek_v3_1 (DeepSeek V3.1): ``<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>NAME<｜tool▁sep｜>JSON<｜tool▁call▁end｜>...<｜tool▁calls▁end｜>``.

Dynamo's behaviour (docs/formats.md section 7), finalize path:
* every ``call-begin ... call-end`` block is one call: NAME before the first separator (non-empty,
  no ``{}[]``), arguments after it as JSON (retried with the lines joined, which repairs raw
  newlines inside strings), re-serialised compactly; an invalid block is skipped, never leaked;
* text before the first wrapper (or the first bare ``call-begin``) is the normal text, with its
  trailing whitespace; everything after that point outside blocks is dropped (orphan end markers,
  ``<｜end▁of▁sentence｜>``, prose between wrappers);
* a missing ``calls-end`` is recovered (complete blocks count); an unclosed block is dropped.

Ours, where Dynamo's outputs are silent: a ``call-begin`` inside a block before its separator restarts the
block (a stray marker, e.g. free text before a constrained call, never becomes part of a name).

Streaming (live): a call is announced at its ``<｜tool▁sep｜>`` when the name before it is valid, and its
arguments stream as their compact re-serialisation (:class:`.jsonstream.JsonCompactor`, with the same
line-joining repair); ``call-end`` settles it. Buffered: each call is emitted when its ``call-end``
arrives. Nothing is re-scanned.
Deviation (documented in the fixtures): when a bare ``call-begin`` (no wrapper) yields no call,
Dynamo's one-shot path also drops the text before it; its streaming path has already sent that text,
and so do we, in both modes.
"""

from __future__ import annotations

from .base import Format
from .jsonstream import JsonCompactor
from .jsontext import dumps_compact, try_loads
from .machine import WS, Machine, RawSink
from .tools import ToolIndex

CALLS_BEGIN = "<｜tool▁calls▁begin｜>"
CALLS_END = "<｜tool▁calls▁end｜>"
CALL_BEGIN = "<｜tool▁call▁begin｜>"
CALL_END = "<｜tool▁call▁end｜>"
SEP = "<｜tool▁sep｜>"
MARKERS = (CALLS_BEGIN, CALLS_END, CALL_BEGIN, CALL_END, SEP)
_CSB, _CSE, _CB, _CE, _SEP = range(5)

_PROSE, _INSIDE, _BLOCK = range(3)


def valid_name(name: str) -> bool:
    return bool(name) and not any(c in name for c in "{}[]")


def parse_block(body: str) -> tuple[str, str] | None:
    """``(name, arguments JSON)`` of one block's inner text, or None when Dynamo skips it."""
    name, sep, args = body.partition(SEP)
    name = name.strip(WS)
    if not sep or not valid_name(name):
        return None
    args = args.strip(WS)
    ok, value = try_loads(args)
    if not ok:
        ok, value = try_loads(" ".join(line.lstrip(WS) for line in args.split("\n")))
        if not ok:
            return None
    return name, dumps_compact(value)


class DeepseekV31Machine(Machine):
    markers = MARKERS

    def __init__(self, tools: ToolIndex) -> None:
        super().__init__(tools)
        self.state = _PROSE
        self.body: list[str] = []
        self.args: JsonCompactor | None = None  # live mode, after the block's first separator
        self.named = False  # the block's first separator seen

    def live_sink(self) -> RawSink | None:
        if self.state == _BLOCK and self.args is not None and self.args.plain_string():
            return self.raw_sink(self.body, escape=False)
        return None

    def on_text(self, text: str) -> None:
        if self.state == _PROSE:
            self.prose(text)
        elif self.state == _BLOCK:
            self.body.append(text)
            if self.args is not None:
                self.preview_args(self.args.push(text))

    def _stream_args(self, text: str) -> None:
        assert self.args is not None
        self.preview_args(self.args.push(text))

    def on_marker(self, marker: int) -> None:
        st = self.state
        if st == _BLOCK:
            if marker == _CE:
                parsed = parse_block("".join(self.body))
                if parsed is not None:
                    self.call(*parsed)
                else:
                    self.no_call()
                self.body = []
                self.args = None
                self.state = _INSIDE
            elif marker == _CB and not self.named:
                self.body = []  # a call-begin before the block's separator: the earlier one was stray
            elif marker == _SEP and not self.named:
                self.named = True
                if self.live:
                    name = "".join(self.body).strip(WS)
                    if valid_name(name):
                        self.preview_start(name)
                        self.args = JsonCompactor(lenient_ws=True, newline_repair=True)
                self.body.append(SEP)
            else:
                self.body.append(MARKERS[marker])
                if self.args is not None:
                    self._stream_args(MARKERS[marker])
            return
        if st == _PROSE:
            if marker not in (_CSB, _CB):
                self.prose(MARKERS[marker])  # an orphan end/sep marker before any call is plain text
                return
            self.keep_ws()
            self.state = _INSIDE
        if marker == _CB:
            self.state = _BLOCK
            self.body = []
            self.args = None
            self.named = False


FORMAT = Format(
    name="deepseek_v3_1",
    make_machine=DeepseekV31Machine,
    triggers=(CALLS_BEGIN, CALL_BEGIN),
    special_markers=MARKERS,
)
