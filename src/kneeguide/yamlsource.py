"""Read one YAML file into plain data, remembering where every value came from.

Content arrives through pull requests, so the reader trusts nothing: it reads
only regular files (a FIFO or a device such as ``/dev/zero`` in place of a
guidance file would block or never end), caps the file size, refuses NUL
bytes and text that is not UTF-8, refuses custom tags (``!!python/...`` is
never constructed), anchors and aliases (which also rules out alias bombs),
duplicate keys, and nesting deeper than any real guidance file needs.  The
nesting is counted while the parser's events are read (``yamlevents``), so
``[[[[...`` half a megabyte deep fails fast, at its line and column.  It
builds the data itself from those events, never through a constructor that
could run code, and records the line and column of each key and value so
later checks can point at them.
"""

from __future__ import annotations

import math
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .yamlevents import CORE_TAG, MAX_DEPTH, Event, SourceError, author_words, events, line_and_column

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "SourceError",
    "YamlDocument",
    "author_words",
    "parse_yaml",
    "read_yaml",
]

MAX_FILE_BYTES = 512 * 1024
_YAML_SPACE = frozenset(" \t\r\n")
_INT = re.compile(r"^[-+]?(0|[1-9][0-9_]*)$")
_MAX_NUMBER_CHARS = 40
# UTF-16 and UTF-32 are named before the NUL check, which would otherwise call them binary.
_WIDE_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\xfe\xff", "UTF-16"),
    (b"\xff\xfe", "UTF-16"),
)


Path_ = tuple[str | int, ...]


@dataclass
class YamlDocument:
    """Plain data plus the 1-based (line, column) of every path in it.

    ``value_positions`` locate values; ``key_positions`` locate mapping keys
    (better for "unexpected key" messages).  ``string_spans`` holds where each
    text value is written (start and end in ``text``, and its YAML style), so
    that ``text_position`` can point at a character inside it, also inside a
    folded (``>-``) or literal (``|``) block that spans several lines.
    """

    data: Any
    value_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    string_spans: dict[Path_, tuple[int, int, str]] = field(default_factory=dict)
    first_line: str = ""
    text: str = ""

    def position(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """The closest known position of ``path`` (walking up to its parents)."""
        table = self.key_positions if key else self.value_positions
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if not key and probe in self.key_positions:
                return self.key_positions[probe]
            probe = probe[:-1]
        return self.value_positions.get((), (1, 1))

    def text_position(self, path: Path_, offset: int) -> tuple[int, int] | None:
        """The 1-based (line, column) in the file of character ``offset`` of the text at ``path``.

        YAML may fold a text across lines and drop its indentation, but never
        changes its other characters unless it has escapes: so the n-th
        character that is not white space in the value is the n-th one in the
        source.  When an escape breaks that (``"\\t"``, ``''``), there is no
        faithful answer and this returns None (the caller points at the value).
        """
        span = self.string_spans.get(tuple(path))
        value = self._value(tuple(path))
        if span is None or not isinstance(value, str) or not 0 <= offset <= len(value):
            return None
        start, end, style = span
        if style in ("|", ">"):
            start = self.text.find("\n", start, end) + 1 or end  # the body starts below the header
        elif style in ("'", '"'):
            start, end = start + 1, end - 1
        source = [i for i in range(start, end) if self.text[i] not in _YAML_SPACE]
        if "".join(self.text[i] for i in source) != "".join(c for c in value if c not in _YAML_SPACE):
            return None
        before = sum(1 for c in value[:offset] if c not in _YAML_SPACE)
        if offset < len(value) and value[offset] not in _YAML_SPACE:
            index = source[before]
        elif before:  # white space or the end: counted on from the previous character
            last = max(i for i in range(offset) if value[i] not in _YAML_SPACE)
            index = min(source[before - 1] + offset - last, end)
        else:
            index = start
        return line_and_column(self.text, index)

    def _value(self, path: Path_) -> Any:
        node = self.data
        for part in path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return None
        return node


def read_yaml(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> YamlDocument:
    """Read ``path`` safely; raise ``SourceError`` with a clear reason."""
    return parse_yaml(_read_regular_file(path, max_bytes), max_bytes=max_bytes)


def parse_yaml(
    raw: bytes, *, max_bytes: int = MAX_FILE_BYTES, source: Literal["auto", "pure"] = "auto"
) -> YamlDocument:
    """The document in ``raw`` (a file's bytes); ``source`` picks the parser as ``yamlevents.events`` does."""
    if len(raw) > max_bytes:
        raise SourceError(f"the file is larger than the limit of {max_bytes} bytes", code="file-read")
    for bom, encoding in _WIDE_BOMS:
        if raw.startswith(bom):
            raise SourceError(f"the file is {encoding} text; save it as UTF-8", 1, 1, code="encoding")
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise SourceError("the file contains a NUL byte (is it a binary file?)", line, 1, code="encoding")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SourceError(
            f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x})", line, 1, code="encoding"
        ) from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise SourceError("the file is empty", code="empty-file")
    stream = events(text, source=source)
    if stream is None:
        raise SourceError("the file holds no YAML document", code="empty-file")
    doc = YamlDocument(data=None, first_line=text.split("\n", 1)[0], text=text)
    doc.data = _Builder(doc, stream).build(())
    return doc


def _read_regular_file(path: Path, max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes of ``path``, which must be a regular file.

    The file is opened without blocking and checked with ``fstat`` on the open
    descriptor (not on the name, which could be swapped in between): opening
    a FIFO for reading would otherwise wait for a writer forever, and a device
    like ``/dev/zero`` never ends.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise SourceError(f"cannot read the file: {exc.strerror or exc}", code="file-read") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise SourceError(f"expected a regular file, found {_kind(mode)}", code="file-read")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(max_bytes + 1)
    except OSError as exc:
        raise SourceError(f"cannot read the file: {exc.strerror or exc}", code="file-read") from None
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "something other than a file"


class _Builder:
    """Plain data from the checked events of one document, recording where each value is."""

    def __init__(self, doc: YamlDocument, stream: list[Event]) -> None:
        self.doc = doc
        self.stream = stream
        self.at = 0

    def fail(self, message: str, ev: Event, code: str = "yaml-feature") -> SourceError:
        return SourceError(message, ev.line, ev.column, code)

    def build(self, path: Path_) -> Any:
        ev = self.stream[self.at]
        self.at += 1
        if ev.anchor or ev.kind == "alias":
            raise self.fail("anchors and aliases (&, *) are not allowed in guidance", ev)
        self.doc.value_positions[path] = (ev.line, ev.column)
        if ev.kind == "map":
            if ev.tag != CORE_TAG + "map":
                raise self.fail(f"custom tag {_short(ev.tag)} is not allowed", ev)
            out: dict[str, Any] = {}
            while self.stream[self.at].kind != "end":
                key = self.stream[self.at]
                if key.kind != "scalar" or key.tag != CORE_TAG + "str":
                    raise self.fail("mapping keys must be plain text", key)
                if key.anchor:
                    raise self.fail("anchors and aliases (&, *) are not allowed in guidance", key)
                if key.value == "<<":
                    raise self.fail("merge keys (<<) are not allowed in guidance", key)
                if key.value in out:
                    raise self.fail(f"duplicate key {_short(key.value)}", key, code="duplicate-key")
                self.at += 1
                child = (*path, key.value)
                self.doc.key_positions[child] = (key.line, key.column)
                out[key.value] = self.build(child)
            self.at += 1
            return out
        if ev.kind == "seq":
            if ev.tag != CORE_TAG + "seq":
                raise self.fail(f"custom tag {_short(ev.tag)} is not allowed", ev)
            items: list[Any] = []
            while self.stream[self.at].kind != "end":
                items.append(self.build((*path, len(items))))
            self.at += 1
            return items
        return self.scalar(ev, path)

    def scalar(self, ev: Event, path: Path_) -> Any:
        value, tag = ev.value, ev.tag
        if tag in (CORE_TAG + "str", CORE_TAG + "timestamp"):
            # Dates stay text: JSON Schema checks their format, pydantic parses them.
            self.doc.string_spans[path] = (ev.start, ev.end, ev.style)
            return value
        if tag == CORE_TAG + "null":
            return None
        if tag == CORE_TAG + "bool":
            return value.lower() == "true"
        if tag in (CORE_TAG + "int", CORE_TAG + "float") and len(value) > _MAX_NUMBER_CHARS:
            # int() refuses over 4300 digits with a ValueError; no guidance number needs 40.
            raise self.fail(f"a number of {len(value)} characters is too long", ev, code="yaml-number")
        if tag == CORE_TAG + "int":
            if not _INT.match(value):
                raise self.fail(
                    f"write whole numbers in decimal, not {_short(value)}", ev, code="yaml-number"
                )
            return int(value.replace("_", ""))
        if tag == CORE_TAG + "float":
            try:  # YAML spells infinity and NaN .inf and .nan, which float() does not read
                number = float(value.replace("_", "").lower().replace(".inf", "inf").replace(".nan", "nan"))
            except ValueError:
                raise self.fail(f"{_short(value)} is not a number", ev, code="yaml-number") from None
            if not math.isfinite(number):
                raise self.fail(f"{_short(value)} is not a finite number", ev, code="yaml-number")
            return number
        raise self.fail(f"custom tag {_short(tag)} is not allowed", ev)


def _short(text: str, limit: int = 60) -> str:
    """``repr`` of ``text``, cut short: a hostile value must not flood the report."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text)} characters)"
