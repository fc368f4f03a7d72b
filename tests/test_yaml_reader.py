"""Both parsers the reader can take its events from read guidance alike.

``read_yaml`` takes its events from libyaml when PyYAML has its C parser and
from ruamel.yaml's own parser otherwise (``source="pure"``).  Every shipped
and example guidance file gives the same data, value and key positions and
text spans from both; the files the reader must refuse are refused by both,
with the same code at the same line (among them what the two parsers disagree
on, refused before either runs: a raw tab, a byte-order mark after the start,
a directive or document end line); and drawn YAML-like text that makes a file
of fields or items reads the same from both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kneeguide.resources import DEFAULT_GUIDELINE, guidance_root
from kneeguide.yamlevents import MAX_DEPTH, has_libyaml
from kneeguide.yamlsource import SourceError, YamlDocument, parse_yaml
from strategies import YAML_TOKENS
from yaml_data import load_data

HERE = Path(__file__).parent
FILES = sorted(
    [
        *(guidance_root() / DEFAULT_GUIDELINE).rglob("*.yaml"),
        *(HERE / "content_examples").rglob("*.yaml"),
        *(HERE / "verify_fixtures").rglob("*.yaml"),
    ]
)


def test_the_c_parser_is_installed() -> None:
    """PyYAML with libyaml is a dependency: the fast path is the one that runs."""
    assert has_libyaml()


def _same(a: YamlDocument, b: YamlDocument) -> None:
    assert a.data == b.data
    assert a.value_positions == b.value_positions
    assert a.key_positions == b.key_positions
    assert a.string_spans == b.string_spans


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(p.parents[2])))
def test_both_parsers_read_every_guidance_file_alike(path: Path) -> None:
    raw = path.read_bytes()
    _same(parse_yaml(raw), parse_yaml(raw, source="pure"))


REFUSED = {
    "a custom tag": ("steps:\n  - !!python/object/apply:os.system ['true']\n", "yaml-feature", 2),
    "an anchor": ("a: &x 1\nb: 2\n", "yaml-feature", 1),
    "an alias to an anchor": ("a: &x 1\nb: *x\n", "yaml-feature", 1),
    "an alias to nothing": ("a: 1\nb: *x\n", "yaml-syntax", 2),
    "a duplicate key": ("a: 1\nb: 2\na: 3\n", "duplicate-key", 3),
    "a merge key": ("a: {x: 1}\nb:\n  <<: {y: 2}\n", "yaml-feature", 3),
    "a key that is a number": ("a: 1\n2: b\n", "yaml-feature", 2),
    "a second document": ("a: 1\n---\nb: 2\n", "yaml-syntax", 2),
    "an octal number": ("a: 0o17\n", "yaml-number", 1),
    "a leading zero": ("a: 010\n", "yaml-number", 1),
    "not a number": ("a: .nan\n", "yaml-number", 1),
    "an unclosed quote": ("a: 'open\nb: 2\n", "yaml-syntax", 3),
    "a colon in unquoted text": ("advice: Rest: then stretch.\n", "yaml-syntax", 1),
    "a tab as indentation": ("a:\n\t- 1\n", "yaml-syntax", 2),
    "a tab after a value": ("a: 1\nurgency: emergency\t\n", "yaml-syntax", 2),
    "a tab after a colon": ("a: 1\nurgency:\temergency\n", "yaml-syntax", 2),
    "a tab before a comment": ("a: 1\t# one\n", "yaml-syntax", 1),
    "a tab in quotes": ('a: "x\ty"\n', "yaml-syntax", 1),
    "a tab in a block text": ("a: |\n  x\ty\n", "yaml-syntax", 2),
    "a byte-order mark between lines": ("a: 1\n\ufeff\nb: 2\n", "character", 2),
    "a byte-order mark in a text": ("a: 'x\ufeffy'\n", "character", 1),
    "a directive": ("%YAML 1.2\na: 1\n", "yaml-syntax", 1),
    "a line starting with %": ("a: 1\n%b\nc: 2\n", "yaml-syntax", 2),
    "a document end": ("a: 1\n...\nb: 2\n", "yaml-syntax", 2),
    "a document end in a text": ("a: >\n  text\n...\n  more\n", "yaml-syntax", 3),
    "an unclosed list": ("a: [1, 2\nb: 3\n", "yaml-syntax", 2),
    "a control character": ("a: b\x01c\n", "yaml-syntax", 1),
    "nesting too deep": ("a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n", "nesting", 1),
    "half a megabyte of [": ("[" * 500_000, "nesting", 1),
}


@pytest.mark.parametrize("text, code, line", REFUSED.values(), ids=REFUSED.keys())
def test_both_parsers_refuse_alike(text: str, code: str, line: int) -> None:
    for source in ("auto", "pure"):
        with pytest.raises(SourceError) as caught:
            parse_yaml(text.encode("utf-8"), max_bytes=1 << 20, source=source)  # type: ignore[arg-type]
        assert (caught.value.code, caught.value.line) == (code, line), (source, caught.value.message)
        assert caught.value.column >= 1, source


def test_yaml_1_2_rules_hold_whichever_parser_ran() -> None:
    text = b"a: yes\nb: 10\nc: ~\nd: 2026-01-01\ne: true\nf: 1_000\ng: '12'\n"
    for source in ("auto", "pure"):
        data = parse_yaml(text, source=source).data  # type: ignore[arg-type]
        assert data == {"a": "yes", "b": 10, "c": None, "d": "2026-01-01", "e": True, "f": 1000, "g": "12"}


def test_a_refused_character_is_named_at_its_line_and_column() -> None:
    for source in ("auto", "pure"):
        with pytest.raises(SourceError) as caught:
            parse_yaml("a: é\nb: ü\x01\n".encode(), source=source)  # type: ignore[arg-type]
        assert (caught.value.line, caught.value.column) == (2, 5), source
        assert "U+0001" in caught.value.message, source


def test_a_tab_is_named_at_its_column_with_the_fix() -> None:
    for source in ("auto", "pure"):
        with pytest.raises(SourceError) as caught:
            parse_yaml(b"a: 1\nurgency:\temergency\n", source=source)  # type: ignore[arg-type]
        assert (caught.value.line, caught.value.column) == (2, 9), source
        assert "a tab character" in caught.value.message and "spaces" in caught.value.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a: 1\n...\nb: 2\n", "a line of '...' ends the YAML document"),
        ("a: 1\n%b\n", "a line that starts with '%' is a YAML directive"),
        ("a: 1\n\ufeff\n", "U+FEFF"),
    ],
)
def test_a_document_marker_or_a_stray_byte_order_mark_gets_one_message_from_both(
    text: str, words: str
) -> None:
    said = set()
    for source in ("auto", "pure"):
        with pytest.raises(SourceError) as caught:
            parse_yaml(text.encode("utf-8"), source=source)  # type: ignore[arg-type]
        assert words in caught.value.message, source
        said.add((caught.value.line, caught.value.column, caught.value.message))
    assert len(said) == 1


def test_a_byte_order_mark_at_the_start_and_dots_inside_a_text_are_read() -> None:
    for source in ("auto", "pure"):
        assert parse_yaml(b"\xef\xbb\xbfa: 1\n", source=source).data == {"a": 1}  # type: ignore[arg-type]
        doc = parse_yaml(b"a: |\n  100%\n  ...\n", source=source)  # type: ignore[arg-type]
        assert doc.data == {"a": "100%\n...\n"}


def test_an_escaped_tab_in_quotes_is_text() -> None:
    for source in ("auto", "pure"):
        assert parse_yaml(b'a: "x\\ty"\n', source=source).data == {"a": "x\ty"}  # type: ignore[arg-type]


def _outcome(raw: bytes, source: str) -> Any:
    try:
        return parse_yaml(raw, source=source).data  # type: ignore[arg-type]
    except SourceError:
        return SourceError


@settings(max_examples=300, deadline=None)
@given(st.lists(YAML_TOKENS, max_size=60))
def test_both_parsers_accept_and_refuse_yaml_like_text_alike(tokens: list[str]) -> None:
    """Whatever the text, a file of fields or items reads the same from both parsers, or neither.

    They still differ on a file that is one bare text (a block scalar at the
    top with odd lines or header, a lone tag): the content checks refuse such
    a file whichever parser read it, as every guidance file is a mapping.
    """
    raw = "".join(tokens).encode("utf-8")
    auto, pure = _outcome(raw, "auto"), _outcome(raw, "pure")
    if isinstance(auto, dict | list) or isinstance(pure, dict | list):
        assert auto == pure


def test_yaml_1_1_line_breaks_stay_characters() -> None:
    """libyaml would break the line at LS or PS; YAML 1.2 keeps them for the content checks to name."""
    for character in ("\u2028", "\u2029"):
        doc = parse_yaml(f"a: x{character}y\nb: 1\n".encode())
        assert doc.data == {"a": f"x{character}y", "b": 1}
    for character in ("\x85", "\u2028", "\u2029"):
        raw = f"a: x{character}y\nb: [1,{character}2]\n".encode()
        _same(parse_yaml(raw), parse_yaml(raw, source="pure"))


DATA_FILES = sorted(
    p
    for folder in ("vignettes", "hostile", "content_examples/negative")
    for p in (HERE / folder).glob("*.yaml")
)


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: str(p.relative_to(HERE)))
def test_the_suites_data_files_mean_the_same_in_yaml_1_1_and_1_2(path: Path) -> None:
    """``load_data`` (libyaml, YAML 1.1) gives what ruamel.yaml's YAML 1.2 reading gives."""
    from ruamel.yaml import YAML

    assert load_data(path) == YAML(typ="safe", pure=True).load(path.read_text("utf-8"))
