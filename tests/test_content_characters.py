"""Whatever validate accepts, every built-in format renders: the character rules of ``textcheck``.

Two halves.  Every character of ``textcheck.PDF_REPERTOIRE`` goes through the
real loader into content (step titles, shown bold, and numbered steps, shown
regular) and out through the real PDF, HTML and FHIR exporters, the FHIR
Bundle checked against the official R4 schema.  And the characters that broke
an export before (CJK, emoji, control characters written as YAML escapes,
special spaces, separators) are refused by validate, each with its file,
line, column and a fix, in ``tests/content_examples/negative/``.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from kneeguide import textcheck
from kneeguide.loader import check
from kneeguide_exporters import fhir, html, pdf
from test_fhir import _schema, schema_errors


def repertoire() -> list[str]:
    """Every character validate lets through: the repertoire, less the combining marks it refuses."""
    chars = (chr(c) for lo, hi in textcheck.PDF_REPERTOIRE for c in range(lo, hi + 1) if c > 0x20)
    return [c for c in chars if unicodedata.category(c) not in ("Mn", "Me")]


def words(chars: list[str], size: int = 6) -> str:
    """The characters in space-separated groups, so no "word" is long enough to count as hard to read."""
    return " ".join("".join(chars[i : i + size]) for i in range(0, len(chars), size))


def test_every_character_of_the_repertoire_passes_the_text_check() -> None:
    text = "".join(repertoire())
    assert list(textcheck.problems({"text": text})) == []
    assert textcheck.covered("é") and not textcheck.covered("膝") and not textcheck.covered("😀")


@pytest.fixture(scope="module")
def every_character(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped guideline with every repertoire character in its relief steps."""
    import shutil

    from kneeguide.resources import DEFAULT_GUIDELINE, guidance_root

    folder = tmp_path_factory.mktemp("characters") / DEFAULT_GUIDELINE
    shutil.copytree(guidance_root() / DEFAULT_GUIDELINE, folder)
    yaml = YAML()
    path = folder / "relief.yaml"
    data = yaml.load(path.read_text("utf-8"))
    chars = repertoire()
    chunks = [words(chars[i : i + 900]) for i in range(0, len(chars), 900)]
    steps = data["steps"]
    assert len(steps) >= len(chunks), "not enough steps to carry every character"
    for step, chunk in zip(steps, chunks, strict=False):
        step["title"] = chunk
    steps[0]["how_to"] = chunks
    with path.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)
    return folder


def test_content_with_every_repertoire_character_validates_and_renders_in_every_format(
    every_character: Path,
) -> None:
    result = check(every_character, review_dates=False)
    assert result.errors == [], [f"{d.location}: {d.message}" for d in result.errors[:5]]
    g = result.guidance
    assert g is not None
    pdfs = pdf.render(g)  # Typst refuses (PDF/UA-1) any character its fonts cannot show
    assert all(data.startswith(b"%PDF-") for data in pdfs.values())
    page = html.render(g)[f"{g.id}.html"].decode("utf-8")
    assert g.relief[1].title.replace("&", "&amp;").split(" ")[3] in page
    bundle = json.loads(fhir.render(g)[f"{g.id}.fhir.json"])
    assert schema_errors(_schema(), bundle) == []


@pytest.mark.parametrize(
    "text",
    ["\x00", "\x07", "\x0b", "\r", "\x1b[31m", "\x7f", "\x85", "\u00a0", "\u2028", "\u2029", "\u200b",
     "\u202e", "\ufeff", "\u3000", "\u0301", "膝", "😀", "\ud800", "\ue000"],
)  # fmt: skip
def test_each_character_that_broke_an_export_is_refused_with_its_code_point(text: str) -> None:
    found = list(textcheck.problems({"steps": [{"text": f"Rest {text} now."}]}))
    assert len(found) == 1
    problem = found[0]
    assert problem.path == ("steps", 0, "text") and problem.offset == 5
    assert f"U+{ord(text[0]):04X}" in problem.message


@pytest.mark.parametrize("text", ["", " ", "\t\n ", "\n"])
def test_text_that_is_only_white_space_is_refused(text: str) -> None:
    (problem,) = textcheck.problems({"text": text})
    assert "empty or only white space" in problem.message


def test_a_url_with_a_space_is_refused_and_other_text_with_spaces_is_not() -> None:
    (problem,) = textcheck.problems({"url": "https://example.org/a page", "title": "a page"})
    assert problem.path == ("url",) and "%20" in problem.message
