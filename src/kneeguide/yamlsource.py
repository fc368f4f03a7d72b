"""Read one YAML file into plain data, remembering where every value came from.

Content arrives through pull requests, so the reader trusts nothing: it reads
only regular files (a FIFO or a device such as ``/dev/zero`` in place of a
guidance file would block or never end), caps the file size, refuses NUL
bytes and text that is not UTF-8, refuses custom tags (``!!python/...`` is
never constructed), anchors and aliases (which also rules out alias bombs),
duplicate keys, and nesting deeper than any real guidance file needs.  The
nesting is counted while the node graph is composed, so ``[[[[...`` half a
megabyte deep fails fast, at its line and column, instead of exhausting the
recursion of the composer.  It builds the data itself from ruamel.yaml's
node graph (``compose``), never through a constructor that could run code,
and records the line and column of each key and value so later checks can
point at them.
"""

from __future__ import annotations

import math
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import KneeguideError

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "SourceError", "YamlDocument", "read_yaml"]

MAX_FILE_BYTES = 512 * 1024
MAX_DEPTH = 32
_CORE = "tag:yaml.org,2002:"
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


_HINTS: tuple[tuple[str, str], ...] = (
    (
        "mapping values are not allowed here",
        "a colon followed by a space inside unquoted text reads as a new field; "
        'put the whole text in quotes, e.g. advice: "Rest: then stretch."',
    ),
    ("found character '\\t'", "a tab character: YAML indents with spaces only; replace the tab by spaces"),
    (
        "that cannot start any token",
        "unquoted text cannot start with this character; put the whole text in quotes",
    ),
    (
        "expected ',' or ']'",
        "a list in [brackets] is not closed with ']' before the next line; close it, or put "
        "an item that holds a comma or colon in quotes",
    ),
    ("expected ',' or '}'", "a mapping in {braces} is not closed with '}' before the next line; close it"),
    ("while scanning a quoted scalar", "a quoted text is not closed; add the closing quote"),
    (
        "could not find expected ':'",
        "a line has no ':' between a field name and its value (or the text above runs on to "
        "it: put that text in quotes)",
    ),
    (
        "sequence entries are not allowed here",
        "a '- ' list item stands where a value was expected; start the list on the next line, "
        "indented, or put the text in quotes",
    ),
    (
        "expected <block end>",
        "the indentation does not line up: the fields of one item, and the items of one list, "
        "start in the same column; or a quoted text is followed by more text (quote all of it)",
    ),
    ("while scanning an alias", "'*' at the start of a text starts an alias; put the whole text in quotes"),
    ("found undefined alias", "'*' at the start of a text starts an alias; put the whole text in quotes"),
    ("expected '<document start>'", "a line starting with '%' is a YAML directive; put the text in quotes"),
)
"""Raw parser messages, in the author's words, with how to fix them: (part of the message, hint)."""


def author_words(message: str) -> str:
    """A parser's message as an author can act on it, keeping the original for reference."""
    for needle, hint in _HINTS:
        if needle in message:
            return f"{hint} (the YAML parser said: {message})"
    return message


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
        line_start = self.text.rfind("\n", 0, index) + 1
        return self.text.count("\n", 0, index) + 1, index - line_start + 1

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
    raw = _read_regular_file(path, max_bytes)
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
    yaml = YAML(typ="safe", pure=True)
    yaml.Composer = _DepthLimitedComposer
    try:
        node = yaml.compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = author_words(" ".join(p for p in (exc.context, exc.problem) if p) or str(exc))
        if mark is not None:
            raise SourceError(f"YAML syntax: {message}", mark.line + 1, mark.column + 1) from None
        raise SourceError(f"YAML syntax: {message}") from None
    except (YAMLError, ValueError) as exc:
        raise SourceError(f"YAML syntax: {exc}") from None
    except RecursionError:
        raise SourceError("the YAML is nested too deeply", code="nesting") from None
    if node is None:
        raise SourceError("the file holds no YAML document", code="empty-file")
    doc = YamlDocument(data=None, first_line=text.split("\n", 1)[0], text=text)
    doc.data = _Builder(doc).build(node, (), 0)
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


class _DepthLimitedComposer(Composer):
    """ruamel.yaml's composer, refusing nesting deeper than ``MAX_DEPTH`` as it goes.

    The stock composer recurses once per level, so ``[[[[...`` half a
    megabyte deep would exhaust Python's recursion (slowly, and with no
    position); this one stops at the first node that is too deep and names
    its line and column.  It counts exactly as ``_Builder`` does: the top
    node is level 0.
    """

    _nesting = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._nesting += 1
        try:
            if self._nesting > MAX_DEPTH + 1:
                mark = self.parser.peek_event().start_mark
                raise SourceError(
                    f"nesting deeper than {MAX_DEPTH} levels", mark.line + 1, mark.column + 1, code="nesting"
                )
            return super().compose_node(parent, index)
        finally:
            self._nesting -= 1


class _Builder:
    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc
        self.seen: set[int] = set()

    def fail(self, message: str, node: Node, code: str = "yaml-feature") -> SourceError:
        mark = node.start_mark
        return SourceError(message, mark.line + 1, mark.column + 1, code)

    def build(self, node: Node, path: Path_, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise self.fail(f"nesting deeper than {MAX_DEPTH} levels", node, code="nesting")
        if id(node) in self.seen or getattr(node, "anchor", None):
            raise self.fail("anchors and aliases (&, *) are not allowed in guidance", node)
        self.seen.add(id(node))
        self.doc.value_positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        tag = str(node.tag)
        if isinstance(node, MappingNode):
            if tag != _CORE + "map":
                raise self.fail(f"custom tag {_short(tag)} is not allowed", node)
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode) or str(key_node.tag) != _CORE + "str":
                    raise self.fail("mapping keys must be plain text", key_node)
                key = str(key_node.value)
                if key == "<<":
                    raise self.fail("merge keys (<<) are not allowed in guidance", key_node)
                if key in out:
                    raise self.fail(f"duplicate key {_short(key)}", key_node, code="duplicate-key")
                child = (*path, key)
                self.doc.key_positions[child] = (
                    key_node.start_mark.line + 1,
                    key_node.start_mark.column + 1,
                )
                out[key] = self.build(value_node, child, depth + 1)
            return out
        if isinstance(node, SequenceNode):
            if tag != _CORE + "seq":
                raise self.fail(f"custom tag {_short(tag)} is not allowed", node)
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        return self.scalar(node, path, tag)

    def scalar(self, node: ScalarNode, path: Path_, tag: str) -> Any:
        value = str(node.value)
        if tag in (_CORE + "str", _CORE + "timestamp"):
            # Dates stay text: JSON Schema checks their format, pydantic parses them.
            self.doc.string_spans[path] = (node.start_mark.index, node.end_mark.index, node.style or "")
            return value
        if tag == _CORE + "null":
            return None
        if tag == _CORE + "bool":
            return value.lower() == "true"
        if tag in (_CORE + "int", _CORE + "float") and len(value) > _MAX_NUMBER_CHARS:
            # int() refuses over 4300 digits with a ValueError; no guidance number needs 40.
            raise self.fail(f"a number of {len(value)} characters is too long", node, code="yaml-number")
        if tag == _CORE + "int":
            if not _INT.match(value):
                raise self.fail(
                    f"write whole numbers in decimal, not {_short(value)}", node, code="yaml-number"
                )
            return int(value.replace("_", ""))
        if tag == _CORE + "float":
            try:  # YAML spells infinity and NaN .inf and .nan, which float() does not read
                number = float(value.replace("_", "").lower().replace(".inf", "inf").replace(".nan", "nan"))
            except ValueError:
                raise self.fail(f"{_short(value)} is not a number", node, code="yaml-number") from None
            if not math.isfinite(number):
                raise self.fail(f"{_short(value)} is not a finite number", node, code="yaml-number")
            return number
        raise self.fail(f"custom tag {_short(tag)} is not allowed", node)


def _short(text: str, limit: int = 60) -> str:
    """``repr`` of ``text``, cut short: a hostile value must not flood the report."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text)} characters)"
