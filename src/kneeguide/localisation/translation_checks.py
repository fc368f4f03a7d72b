"""``validate`` for translations and for each locale's reading grade (see ``checks``).

A translation is checked against the English it records: every string a
patient reads and every UI string must be translated (``translation-missing``),
each entry's recorded hash must be the hash of today's English
(``translation-stale``), it must carry the same placeholders
(``translation-placeholders``), and it must say truthfully whether a
clinician reviewed it.  Each locale's patient text is then graded with its
language's formula (``reading``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from ..hints import did_you_mean
from ..models import Metadata
from .core import Localisation
from .files import TranslationFile
from .reading import spanish_grade
from .texts import is_clinician_key, is_patient_key, placeholders_in, sha256

__all__ = ["Checker", "check_reading", "check_translation"]


class Checker(Protocol):
    errors: int

    def error(self, name: str, path: Sequence[str | int], message: str, code: str, **kw: Any) -> None: ...


def check_translation(
    c: Checker,
    name: str,
    t: TranslationFile,
    source: Mapping[str, str],
    source_language: str,
    regions: Sequence[str],
    strict: bool = True,
) -> bool:
    """Check one translation; whether it may be shipped.

    ``strict`` (``validate``): a translation that has drifted from the
    English (missing, stale, unknown or placeholder-changing entries) is an
    error.  Otherwise (using the content, as ``load`` does) each is a
    warning and the language is withheld, so an English edit never shows
    patients an outdated translation and never stops the English working.
    """
    before = c.errors
    drifted: list[bool] = []

    def drift(path: Sequence[str | int], message: str, code: str, **kw: Any) -> None:
        drifted.append(True)
        if strict:
            c.error(name, path, message, code, **kw)
        else:
            c.error(
                name, path, f"{message} ({t.language} is withheld until then)", code, severity="warning", **kw
            )

    if t.language == source_language:
        c.error(
            name, ("language",), f"the content is written in {t.language!r}: no translation needed", "content"
        )
    for j, r in enumerate(t.regions):
        if r not in regions:
            c.error(name, ("regions", j), f"unknown region {r!r} (defined: {', '.join(regions)})", "content")
    if t.reviewed and not t.reviewer:
        c.error(name, ("reviewer",), "a reviewed translation names its clinical reviewer", "content")
    if not t.reviewed and t.reviewer:
        c.error(name, ("reviewed",), "names a reviewer but says it is not reviewed", "content")
    if not t.reviewed:
        c.error(
            name,
            ("reviewed",),
            f"the {t.name} translation has not been clinically reviewed: have a clinician review it "
            "before it is shown to patients",
            "translation-unreviewed",
            severity="warning",
        )
    wanted = [k for k in source if not (k.startswith("regions.") and k.split(".")[1] not in t.regions)]
    missing = [k for k in wanted if k not in t.texts]
    left_english = [k for k in missing if t.clinician_texts == "english" and is_clinician_key(k)]
    if left_english:
        c.error(
            name,
            ("clinician_texts",),
            f"{len(left_english)} string(s) only clinicians read are shown in English in {t.language} "
            "(clinician_texts: english); translate them to remove this warning",
            "translation-missing",
            severity="warning",
        )
    for key in (k for k in missing if k not in left_english):
        drift(
            ("texts",),
            f"no {t.language} translation of {key} ({_quote(source[key])})",
            "translation-missing",
            key=True,
        )
    for key, entry in t.texts.items():
        if key not in source:
            drift(
                ("texts", key),
                f"translates {key}, which does not exist{did_you_mean(key, source)}",
                "translation-unknown",
                key=True,
            )
            continue
        english = source[key]
        if entry.source != sha256(english):
            drift(
                ("texts", key, "source"),
                f"stale: the English of {key} has changed since it was translated; update the "
                f"translation of {_quote(english)} and set source: {sha256(english)}",
                "translation-stale",
            )
        mine = sorted(n for n, _ in placeholders_in(entry.text))
        theirs = sorted(n for n, _ in placeholders_in(english))
        if mine != theirs:
            drift(
                ("texts", key, "text"),
                f"the placeholders differ from the English: {' '.join(f'{{{n}}}' for n in theirs) or 'none'} "
                f"expected, {' '.join(f'{{{n}}}' for n in mine) or 'none'} found",
                "translation-placeholders",
            )
    return c.errors == before and not drifted


def _quote(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[: limit - 3] + "...")


def check_reading(
    c: Checker, loc: Localisation, meta: Metadata, files: Mapping[str, TranslationFile]
) -> dict[str, str]:
    """Grade each locale's patient text with its language's formula."""
    from ..readability import grade

    by_language = {t.language: (name, t) for name, t in files.items()}
    readings: dict[str, str] = {}
    keys = [k for k in loc.source if is_patient_key(k)]
    for locale in loc.locales:
        language, region = locale.split("-")
        texts = [
            loc.text(k, language, region)
            if language in loc.translations or language == loc.source_language
            else ""
            for k in keys
        ]
        if language == "en":
            g = grade(texts)
            readings[locale] = f"SMOG grade {g.smog} (limit {meta.reading_grade_max})"
            if g.smog > meta.reading_grade_max:
                c.error(
                    "guideline.yaml",
                    ("guideline", "reading_grade_max"),
                    f"{locale} patient text reads at SMOG grade {g.smog}, "
                    f"above the limit of {meta.reading_grade_max}",
                    "reading-grade",
                )
        elif language == "es":
            name, t = by_language["es"]
            s = spanish_grade(texts)
            limit = t.reading_ease_min
            readings[locale] = f"Szigriszt-Pazos (INFLESZ) {s.szigriszt_pazos}, {s.band} (minimum {limit})"
            if limit is None:
                c.error(
                    name,
                    ("language",),
                    "a Spanish translation sets reading_ease_min (INFLESZ; 55 is 'normal')",
                    "reading-grade",
                )
            elif s.szigriszt_pazos < limit:
                c.error(
                    name,
                    ("reading_ease_min",),
                    f"{locale} patient text scores {s.szigriszt_pazos} on Szigriszt-Pazos (INFLESZ), "
                    f"below the minimum of {limit}",
                    "reading-grade",
                )
        elif language in by_language:
            name, _ = by_language[language]
            c.error(
                name,
                ("language",),
                f"no reading-grade formula for {language!r}: add one before shipping it",
                "reading-grade",
            )
    return readings
