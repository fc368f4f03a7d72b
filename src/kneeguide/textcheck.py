"""The characters content may use: whatever ``validate`` accepts, every built-in format renders.

Each class of character that broke an export is refused in the content,
with the reason and the fix, rather than silently dropped or swapped:

* control characters other than newline and tab, however they are written
  (a raw byte, or a YAML escape such as ``"\\0"``, ``"\\x07"`` or ``"\\v"``):
  the PDF cannot show them, a terminal would obey them;
* spaces other than the plain space (no-break space, the typographic
  spaces), and the line and paragraph separators U+2028 and U+2029: FHIR R4
  strings (``^[ \\r\\n\\t\\S]+$``) allow no other white space;
* invisible format characters (soft hyphen, zero-width characters,
  bidirectional overrides, byte-order marks): they change how text reads
  without showing, and some break FHIR or the PDF;
* characters outside ``PDF_REPERTOIRE``, the characters the PDF leaflet's
  bundled fonts can show (Latin, Greek, Cyrillic, Armenian, Georgian and
  common symbols; not CJK, not emoji).  A wheel that carried CJK and emoji
  fonts would grow by tens of megabytes for text the guidance does not use,
  so such text is refused with a clear message instead.  The repertoire was
  measured against Typst's bundled fonts, and a test renders every
  character of it in a real PDF;
* combining marks (an accent typed as a separate character after its
  letter): the fonts cannot place every mark on every letter, so accented
  letters are written precomposed (Unicode NFC), as editors normally do;
* text that is empty or only white space;
* a URL with white space in it, which FHIR's ``uri`` type does not allow.

Every string value in every file is checked, not only patient text: ids,
titles, sources and notes all reach one export or another.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from typing import Any, NamedTuple

__all__ = ["PDF_REPERTOIRE", "TextProblem", "covered", "problems"]

PDF_REPERTOIRE: tuple[tuple[int, int], ...] = (
    (0x0009, 0x000A),  # tab, newline
    (0x0020, 0x007E),  # Basic Latin
    (0x00A1, 0x00AC),  # Latin-1 (no NBSP, no soft hyphen)
    (0x00AE, 0x02FF),  # Latin-1, Latin Extended-A/B, IPA, spacing modifiers
    (0x0370, 0x0377), (0x037A, 0x037F), (0x0384, 0x038A), (0x038C, 0x038C),
    (0x038E, 0x03A1), (0x03A3, 0x03FF),  # Greek and Coptic
    (0x0400, 0x04FF),  # Cyrillic
    (0x0531, 0x0556), (0x0559, 0x058A), (0x058D, 0x058F),  # Armenian
    (0x10D0, 0x10FF),  # Georgian
    (0x1D00, 0x1DBF), (0x1E00, 0x1F15), (0x1F18, 0x1F1D), (0x1F20, 0x1F45), (0x1F48, 0x1F4D),
    (0x1F50, 0x1F57), (0x1F59, 0x1F59), (0x1F5B, 0x1F5B), (0x1F5D, 0x1F5D),
    (0x1F5F, 0x1F7D), (0x1F80, 0x1FB4), (0x1FB6, 0x1FC4), (0x1FC6, 0x1FD3),
    (0x1FD6, 0x1FDB), (0x1FDD, 0x1FEF), (0x1FF2, 0x1FF4), (0x1FF6, 0x1FFE),  # Latin and Greek extended
    (0x2010, 0x2027), (0x2030, 0x2040), (0x2042, 0x2042), (0x2044, 0x2052),
    (0x2054, 0x205E),  # General Punctuation (no special spaces or invisible characters)
    (0x2070, 0x2071), (0x2074, 0x208E), (0x2090, 0x209C),  # super- and subscripts
    (0x20A0, 0x20A4), (0x20A6, 0x20C0),  # currency
    (0x2100, 0x211E), (0x2120, 0x2120), (0x2122, 0x2122), (0x2124, 0x2124),
    (0x2126, 0x2151), (0x2153, 0x2184), (0x2189, 0x2189),  # letterlike symbols, number forms
    (0x2190, 0x23FF),  # arrows, mathematical operators, technical symbols
    (0x2460, 0x2606), (0x2609, 0x262F), (0x2638, 0x268B), (0x2690, 0x269C),
    (0x26A0, 0x26A7), (0x26AA, 0x26AF),  # enclosed alphanumerics, box drawing, shapes, symbols
    (0x2701, 0x2704), (0x2706, 0x2709), (0x270C, 0x2714), (0x2717, 0x2727),
    (0x272A, 0x274B), (0x274D, 0x274D), (0x274F, 0x2752), (0x2756, 0x2756),
    (0x2758, 0x275E), (0x2761, 0x277F), (0x2794, 0x2794), (0x2798, 0x27AF),  # dingbats (text forms)
    (0xFB00, 0xFB06),  # Latin ligatures
)  # fmt: skip
"""Inclusive code point ranges the PDF leaflet's bundled fonts can show."""

_STARTS = tuple(lo for lo, _ in PDF_REPERTOIRE)
_PLAIN = re.compile(r"[\t\n -~]*")
"""Text of printable ASCII, tabs and newlines only: every format shows it as written."""
_SPACES = {"Zs", "Zl", "Zp"}


class TextProblem(NamedTuple):
    """One problem in one text value of a file."""

    path: tuple[str | int, ...]
    offset: int | None
    """Where in the text the first bad character is, or None for the text as a whole."""
    message: str
    code: str = "character"
    """The stable diagnostic code (docs/diagnostics.md)."""


def covered(ch: str) -> bool:
    """Whether the PDF fonts can show ``ch``."""
    import bisect

    code = ord(ch)
    i = bisect.bisect_right(_STARTS, code) - 1
    return i >= 0 and code <= PDF_REPERTOIRE[i][1]


def _name(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}{' ' + name if name else ''}"


@functools.lru_cache(maxsize=4096)
def _character_problem(ch: str) -> str | None:
    """Why ``ch`` cannot be exported, with the fix; ``None`` when it can (remembered per character)."""
    if ch in "\t\n" or (" " <= ch <= "~"):
        return None
    category = unicodedata.category(ch)
    if category == "Cc":
        return (
            f"control character {_name(ch)} is not allowed in text (a YAML escape such as "
            '"\\0", "\\x07" or "\\v" writes one too): remove it'
        )
    if category in ("Zl", "Zp"):
        return f"{_name(ch)} is not allowed: FHIR text cannot carry it; use a plain line break"
    if category == "Zs":
        return f"{_name(ch)} is not allowed: FHIR text allows only the plain space; use a plain space"
    if category in ("Mn", "Me"):
        return (
            f"combining mark {_name(ch)} is not allowed: the PDF fonts cannot place every mark on "
            "every letter; write the accented letter as one character (Unicode NFC)"
        )
    if category in ("Cf", "Cs", "Co", "Cn"):
        return f"{_name(ch)} is an invisible or unassigned character: remove it"
    if not covered(ch):
        return (
            f"character {ch!r} ({_name(ch)}) cannot be shown by the PDF leaflet's fonts, which cover "
            "Latin, Greek, Cyrillic, Armenian and Georgian letters and common symbols (no CJK, no "
            "emoji): write it with covered characters"
        )
    return None


def _text_problems(path: tuple[str | int, ...], text: str) -> Iterator[TextProblem]:
    if not text.strip():
        yield TextProblem(
            path,
            None,
            "text is empty or only white space: write the text or drop the field",
            code="empty-text",
        )
        return
    key = path[-1] if path else ""
    if isinstance(key, str) and (key == "url" or key.endswith("_url")) and any(c.isspace() for c in text):
        yield TextProblem(
            path, None, "a URL cannot contain white space (FHIR uri): write a space as %20", code="url-space"
        )
    if _PLAIN.fullmatch(text):
        return
    bad = [(i, why) for i, ch in enumerate(text) if (why := _character_problem(ch)) is not None]
    if bad:
        offset, why = bad[0]
        more = f" ({len(bad) - 1} more such character(s) in this text)" if len(bad) > 1 else ""
        yield TextProblem(path, offset, f"{why}{more}")


def problems(data: Any, path: tuple[str | int, ...] = ()) -> Iterator[TextProblem]:
    """Every text problem in one file's data, walking it without recursion."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [(path, data)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, str):
            yield from _text_problems(where, node)
        elif isinstance(node, dict):
            stack.extend(((*where, k), v) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend(((*where, i), v) for i, v in reversed(list(enumerate(node))))
