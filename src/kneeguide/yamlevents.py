"""The YAML parser's events for one guidance file, checked before anything is built from them.

Parsing was most of what ``validate`` and an uncached ``load`` spend: ruamel.yaml's
pure-Python scanner and composer took about 1.5 s for the shipped guidance's 14
files on a loaded machine, libyaml (the C parser PyYAML wraps) gives their events
about eighty times faster, and the whole read, data and positions built here, is
about ten times faster (0.15 s on that machine).  Both parsers give the
same stream of events (mapping start, scalar, end...), so the reader works on
events and takes them from libyaml when PyYAML has it, and from ruamel.yaml's
own parser otherwise (``source="pure"``); tests check that both sources give
the same documents and refuse the same files.

Tags of plain scalars are resolved by ruamel.yaml's YAML 1.2 rules whichever
parser ran (libyaml leaves them to the caller), so ``yes`` stays text, as before.  A file
holding one of the three characters that YAML 1.1 reads as a line break (NEL,
LS, PS) goes to ruamel.yaml's parser, so that the content checks name them.

While the events are read, nesting deeper than ``MAX_DEPTH`` stops the read at
the first node that is too deep, so ``[[[[...`` half a megabyte deep fails fast
at its line and column; a second document and an alias to an anchor that is
not there are refused as a composer would.

Before either parser runs, what they disagree on is refused, so that a file means
the same on every install: a raw tab (libyaml reads one after a value as a space,
ruamel.yaml refuses it), a byte-order mark after the start, and lines starting a
directive (``%``) or ending the document (``...``), which guidance never needs.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Iterator
from typing import Any, Literal, NamedTuple

from .errors import KneeguideError

__all__ = [
    "CORE_TAG",
    "MAX_DEPTH",
    "Event",
    "SourceError",
    "author_words",
    "events",
    "has_libyaml",
    "line_and_column",
]

MAX_DEPTH = 32
CORE_TAG = "tag:yaml.org,2002:"
"""The prefix of the YAML core schema's tags (``str``, ``int``, ``map``...)."""


class SourceError(KneeguideError):
    """A file that cannot be read as guidance YAML at all.

    ``code`` is the stable diagnostic code of the kind of problem
    (docs/diagnostics.md): ``yaml-syntax``, ``encoding``, ``yaml-feature``...
    """

    def __init__(self, message: str, line: int = 0, column: int = 0, code: str = "yaml-syntax") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.code = code

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (type(self), (self.message, self.line, self.column, self.code))


class Event(NamedTuple):
    """One parser event, the same whichever parser gave it.

    ``kind`` is ``map``, ``seq``, ``scalar``, ``alias`` or ``end`` (of a map or
    sequence); ``line`` and ``column`` are 1-based; ``start`` and ``end`` index
    the text; ``tag`` is the resolved tag (a scalar's by the YAML 1.2 rules).
    """

    kind: str
    line: int
    column: int
    start: int
    end: int
    anchor: str | None
    tag: str
    value: str
    style: str


_HINTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("mapping values are not allowed here", "mapping values are not allowed in this context"),
        "a colon followed by a space inside unquoted text reads as a new field; "
        'put the whole text in quotes, e.g. advice: "Rest: then stretch."',
    ),
    (
        ("that cannot start any token",),
        "unquoted text cannot start with this character; put the whole text in quotes",
    ),
    (
        ("expected ',' or ']'",),
        "a list in [brackets] is not closed with ']' before the next line; close it, or put "
        "an item that holds a comma or colon in quotes",
    ),
    (("expected ',' or '}'",), "a mapping in {braces} is not closed with '}' before the next line; close it"),
    (("while scanning a quoted scalar",), "a quoted text is not closed; add the closing quote"),
    (
        ("could not find expected ':'",),
        "a line has no ':' between a field name and its value (or the text above runs on to "
        "it: put that text in quotes)",
    ),
    (
        ("sequence entries are not allowed here", "sequence entries are not allowed in this context"),
        "a '- ' list item stands where a value was expected; start the list on the next line, "
        "indented, or put the text in quotes",
    ),
    (
        ("expected <block end>", "did not find expected key", "did not find expected '-' indicator"),
        "the indentation does not line up: the fields of one item, and the items of one list, "
        "start in the same column; or a quoted text is followed by more text (quote all of it)",
    ),
    (
        ("while scanning an alias", "found undefined alias"),
        "'*' at the start of a text starts an alias; put the whole text in quotes",
    ),
)
"""Raw parser messages (ruamel.yaml's and libyaml's words), in the author's words, with how to fix them."""


def author_words(message: str) -> str:
    """A parser's message as an author can act on it, keeping the original for reference."""
    for needles, hint in _HINTS:
        if any(needle in message for needle in needles):
            return f"{hint} (the YAML parser said: {message})"
    return message


_YAML_1_1_BREAKS = frozenset("\x85\u2028\u2029")

_TAB = (
    "YAML syntax: a tab character: guidance files indent and separate with spaces only; replace "
    "the tab by spaces (inside double quotes, write \\t for a tab in a text)"
)
"""Every raw tab is refused before parsing, so a file means the same whichever parser reads it.

libyaml reads a tab after a value (``urgency:\\temergency``) as a space; ruamel.yaml's
parser refuses it.  The same file must not pass on one install and fail on another.
"""


_BOM = (
    "U+FEFF ZERO WIDTH NO-BREAK SPACE (a byte-order mark) inside the file, an invisible "
    "character often left where two files were joined: delete it"
)
"""Only the very start of a file may hold a byte-order mark (the reader drops it there).

Elsewhere libyaml skips one between lines and ruamel.yaml refuses it, so it is
refused before either runs, at its line and column.
"""
_DOCUMENT_MARKER = re.compile(r"^(?:(%)|\.\.\.(?=[ \r\n]|$))", re.MULTILINE)
"""A line that starts with a directive (``%``) or the document end marker (``...``).

Guidance files need neither, and the parsers disagree on what follows one:
libyaml and ruamel.yaml report it on different lines, with messages that point
at the wrong cause.  Found before parsing, each gets one message, the same on
every install.  A line that continues a text is indented, so only a mistake
starts one there, and the message says how to fix it.
"""
_DIRECTIVE = (
    "YAML syntax: a line that starts with '%' is a YAML directive, which guidance files never "
    "use: indent the line if it continues the text above, or put the whole text in quotes"
)
_DOCUMENT_END = (
    "YAML syntax: a line of '...' ends the YAML document, so what follows would be lost: "
    "indent the line if it continues the text above, put the whole text in quotes, or delete it"
)


def line_and_column(text: str, index: int) -> tuple[int, int]:
    """The 1-based line and column of ``text[index]``."""
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


@functools.cache
def has_libyaml() -> bool:
    """Whether PyYAML's C parser is installed (where it is not, ruamel.yaml's parser is used)."""
    return importlib.util.find_spec("yaml") is not None and importlib.util.find_spec("yaml._yaml") is not None


def events(text: str, *, source: Literal["auto", "pure"] = "auto") -> list[Event] | None:
    """The events of the one document in ``text`` (None when there is none); raise ``SourceError``."""
    # libyaml reads YAML 1.1, where NEL, LS and PS break lines; in 1.2 they are characters
    # like any other, which the content checks then refuse by name and position.
    use_c = source == "auto" and has_libyaml() and not _YAML_1_1_BREAKS.intersection(text)
    tab = text.find("\t")
    if tab >= 0:
        raise SourceError(_TAB, *line_and_column(text, tab))
    bom = text.find("\ufeff")
    if bom >= 0:
        raise SourceError(_BOM, *line_and_column(text, bom), code="character")
    marker = _DOCUMENT_MARKER.search(text)
    if marker is not None:
        said = _DIRECTIVE if marker.group(1) == "%" else _DOCUMENT_END
        raise SourceError(said, line_and_column(text, marker.start())[0], 1)
    errors = _error_types(use_c)
    try:
        return _checked(_raw_c(text) if use_c else _raw_pure(text))
    except errors as exc:
        raise _syntax_error(exc, text) from None
    except RecursionError:
        raise SourceError("the YAML is nested too deeply", code="nesting") from None


def _raw_c(text: str) -> Iterator[Any]:
    from yaml._yaml import CParser

    parser = CParser(text)
    try:
        while parser.check_event():
            yield parser.get_event()
    finally:
        parser.dispose()


def _raw_pure(text: str) -> Iterator[Any]:
    from ruamel.yaml import YAML

    yield from YAML(typ="safe", pure=True).parse(text)


def _error_types(use_c: bool) -> tuple[type[BaseException], ...]:
    from ruamel.yaml.error import YAMLError

    if not use_c:
        return (YAMLError, ValueError)
    import yaml

    return (yaml.YAMLError, YAMLError, ValueError)


def _syntax_error(exc: BaseException, text: str) -> SourceError:
    """``exc`` from either parser as a ``SourceError`` at its line and column, in an author's words."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    parts = [getattr(exc, "context", None), getattr(exc, "problem", None)]
    said = " ".join(p for p in parts if p) or str(exc)
    index = getattr(exc, "position", None)
    if mark is None and isinstance(index, int):  # a character the reader refuses
        if type(exc).__module__.startswith("yaml"):  # libyaml counts bytes of the UTF-8 text
            index = len(text.encode("utf-8")[:index].decode("utf-8", errors="ignore"))
        line, column = line_and_column(text, index)
        character = text[index : index + 1]
        shown = f"U+{ord(character):04X}" if character else "a character"
        return SourceError(
            f"YAML syntax: {shown} is a control or special character, which YAML does not allow; delete it",
            line,
            column,
        )
    if mark is not None and "exceeded maximum nesting depth" in said:  # libyaml's own limit
        line, column = mark.line + 1, mark.column + 1
        return SourceError(f"nesting deeper than {MAX_DEPTH} levels", line, column, "nesting")
    if mark is not None:
        return SourceError(f"YAML syntax: {author_words(said)}", mark.line + 1, mark.column + 1)
    return SourceError(f"YAML syntax: {author_words(said)}")


_KINDS = {
    "MappingStartEvent": "map",
    "SequenceStartEvent": "seq",
    "ScalarEvent": "scalar",
    "AliasEvent": "alias",
    "MappingEndEvent": "end",
    "SequenceEndEvent": "end",
}


def _checked(raw: Iterator[Any]) -> list[Event] | None:
    """The one document's events, normalised; refuses deep nesting, a second document, a lost alias."""
    out: list[Event] = []
    depth = 0
    anchors: set[str] = set()
    documents = 0
    resolve = _Resolver(None)
    for ev in raw:
        name = type(ev).__name__
        if name == "DocumentStartEvent":
            documents += 1
            if documents > 1:
                raise SourceError(
                    "YAML syntax: expected a single document in the stream but found another document",
                    ev.start_mark.line + 1,
                    ev.start_mark.column + 1,
                )
            resolve = _Resolver(ev.version)
            continue
        kind = _KINDS.get(name)
        if kind is None:
            continue
        mark = ev.start_mark
        if kind == "end":
            depth -= 1
            out.append(Event(kind, mark.line + 1, mark.column + 1, mark.index, mark.index, None, "", "", ""))
            continue
        if depth > MAX_DEPTH:
            raise SourceError(
                f"nesting deeper than {MAX_DEPTH} levels", mark.line + 1, mark.column + 1, code="nesting"
            )
        anchor = ev.anchor
        if kind == "alias":
            if anchor not in anchors:
                said = author_words(f"found undefined alias {anchor!r}")
                raise SourceError(f"YAML syntax: {said}", mark.line + 1, mark.column + 1)
            out.append(
                Event(kind, mark.line + 1, mark.column + 1, mark.index, mark.index, anchor, "", "", "")
            )
            continue
        if anchor:
            anchors.add(str(anchor))
            anchor = str(anchor)
        tag = None if ev.tag is None else str(ev.tag)
        if kind == "scalar":
            value = str(ev.value)
            if tag is None or tag == "!":
                tag = resolve(value) if ev.implicit[0] else CORE_TAG + "str"
            style = ev.style or ""
        else:
            value = style = ""
            if tag is None or tag == "!":
                tag = CORE_TAG + kind
            depth += 1
        out.append(
            Event(
                kind, mark.line + 1, mark.column + 1, mark.index, ev.end_mark.index, anchor, tag, value, style
            )
        )
    return out or None


class _Resolver:
    """The tag of a plain scalar by ruamel.yaml's rules for the document's YAML version.

    ruamel.yaml's own resolver looks its version up on every call; this one
    takes the same table (``implicit_resolvers``) once, and remembers each
    text it has resolved (keys such as ``id`` repeat thousands of times).
    """

    def __init__(self, version: Any) -> None:
        from ruamel.yaml.resolver import implicit_resolvers

        wanted = tuple(version) if version else (1, 2)
        if wanted not in ((1, 1), (1, 2)):  # ruamel.yaml knows no other version's rules
            wanted = (1, 2)
        self.table: dict[str | None, list[tuple[str, Any]]] = {}
        for versions, tag, regexp, first in implicit_resolvers:
            if wanted in versions:
                starts: list[str | None] = [*first] if first else [None]
                for character in starts:
                    self.table.setdefault(character, []).append((tag, regexp))
        self.seen: dict[str, str] = {}

    def __call__(self, value: str) -> str:
        tag = self.seen.get(value)
        if tag is None:
            tag = CORE_TAG + "str"
            for candidate, regexp in [*self.table.get(value[:1], ()), *self.table.get(None, ())]:
                if regexp.match(value):
                    tag = candidate
                    break
            self.seen[value] = tag
        return tag
