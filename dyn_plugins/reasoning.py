"""Dynamo's marker-delimited reasoning parsers that an engine lacks (pure Python, no engine import).

One streaming splitter serves every such format: text between a think-start and a think-end marker
is reasoning, the rest is the answer. Markers go through the shared :class:`~.formats.lexer.MarkerLexer`,
so a marker split across chunks is held until it is decided and the split is the same for every
chunking (a one-shot parse is the same splitter fed one chunk).

* ``kimi`` (Kimi-VL / Kimi thinking models): ``◁think▷ ... ◁/think▷`` (Dynamo's basic parser with
  these markers, not forced: the stream starts in the answer). A think-end with no open thought
  stays text, as in Dynamo's basic parser.
* ``granite`` (Granite 3.x): ``Here's my thought process:`` / ``Here is my thought process:`` opens,
  ``Here's my response:`` / ``Here is my response:`` closes; a later thought-process marker opens a
  fresh span and a dangling response marker is removed (Dynamo consumes every marker).

Dynamo's one-shot path trims the two texts (its streaming path does not): compare them trimmed.
"""

from __future__ import annotations

from dataclasses import dataclass

from .formats.lexer import MarkerLexer


@dataclass(frozen=True)
class ReasoningFormat:
    """A reasoning format: its start/end markers and what a dangling end marker does."""

    name: str
    starts: tuple[str, ...]
    ends: tuple[str, ...]
    #: True: an end marker outside a thought is removed; False: it is answer text.
    drop_dangling_end: bool = False

    def stream(self, in_reasoning: bool = False) -> ReasoningStream:
        """A new splitter for one response (``in_reasoning``: the prompt already opened a thought)."""
        return ReasoningStream(self, in_reasoning)

    def parse(self, text: str, in_reasoning: bool = False) -> tuple[str, str]:
        """``(reasoning, answer)`` of a whole output."""
        s = self.stream(in_reasoning)
        r1, a1 = s.feed(text)
        r2, a2 = s.finish()
        return r1 + r2, a1 + a2


class ReasoningStream:
    """``feed(delta) -> (reasoning, answer)`` deltas, then ``finish()`` for what was held back."""

    __slots__ = ("_fmt", "_lexer", "_nstart", "in_reasoning", "ended")

    def __init__(self, fmt: ReasoningFormat, in_reasoning: bool = False) -> None:
        self._fmt = fmt
        self._lexer = MarkerLexer(fmt.starts + fmt.ends)
        self._nstart = len(fmt.starts)
        self.in_reasoning = in_reasoning
        #: a thought has been closed (vLLM's ``is_reasoning_end``)
        self.ended = False

    def feed(self, text: str) -> tuple[str, str]:
        return self._split(self._lexer.feed(text))

    def finish(self) -> tuple[str, str]:
        return self._split(self._lexer.finish())

    def _split(self, tokens: list[str | int]) -> tuple[str, str]:
        reasoning: list[str] = []
        answer: list[str] = []
        for tok in tokens:
            if type(tok) is str:
                (reasoning if self.in_reasoning else answer).append(tok)
            elif tok < self._nstart:  # type: ignore[operator]
                self.in_reasoning = True  # a second opener inside a thought is markup too
            elif self.in_reasoning:
                self.in_reasoning = False
                self.ended = True
            elif not self._fmt.drop_dangling_end:
                answer.append(self._lexer.markers[tok])  # type: ignore[index]
        return "".join(reasoning), "".join(answer)


KIMI = ReasoningFormat("kimi", ("◁think▷",), ("◁/think▷",))
GRANITE = ReasoningFormat(
    "granite",
    ("Here's my thought process:", "Here is my thought process:"),
    ("Here's my response:", "Here is my response:"),
    drop_dangling_end=True,
)

REASONING_FORMATS: dict[str, ReasoningFormat] = {f.name: f for f in (KIMI, GRANITE)}


def get_reasoning_format(name: str) -> ReasoningFormat:
    """The reasoning format of that name; KeyError listing the valid names otherwise."""
    try:
        return REASONING_FORMATS[name]
    except KeyError:
        raise KeyError(f"unknown reasoning format {name!r}; valid: {', '.join(REASONING_FORMATS)}") from None
