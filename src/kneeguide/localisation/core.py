"""A locale applied to validated content: a ``Guidance`` whose every string is in that locale.

The content is written once, in English, with placeholders for what differs
between regions (``{emergency_number}``, ``{same_day_care}``).  A locale is a
language and a region (BCP 47, ``es-US``).  Localising a guidance replaces
each string by its translation (English: itself), fills the region's
placeholders in that language, applies the region's spelling to English,
and sets the metadata's language and jurisdiction.  Conditions, ids and
the digest do not change, so the engine, the interview, the verifier and
every exporter work on a localised guidance exactly as on the default one.

``Localisation`` holds all of this as plain data inside the ``Guidance``
(no files are read again), and keeps each localised copy once built.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import LocaleError
from .texts import fill, rewrite

if TYPE_CHECKING:
    from ..guidance import Guidance

__all__ = ["Localisation", "Translation", "localize", "resolve"]


@dataclass(frozen=True)
class Translation:
    """One language's strings: key -> text, and who made and reviewed them."""

    language: str
    name: str
    regions: tuple[str, ...]
    translator: str
    reviewed: bool
    reviewer: str | None
    texts: Mapping[str, str]


@dataclass(frozen=True, eq=False)
class Localisation:
    """Everything a guidance needs to render itself in each shipped locale."""

    source_language: str
    """The language the content is written in (``en``)."""
    default_region: str
    source: Mapping[str, str]
    """Every English string by key (content, ``ui.*`` and ``regions.*``), placeholders unfilled."""
    regions: Mapping[str, Mapping[str, str]]
    """Region code -> placeholder -> English words."""
    spelling: Mapping[str, Mapping[str, str]]
    """Region code -> English word -> the region's spelling."""
    region_names: Mapping[str, str]
    translations: Mapping[str, Translation]
    """Language -> its translation."""
    ui_params: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    _cache: dict[str, Guidance] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _words: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict, repr=False)
    """A region's placeholder words in a language, worked out once (not content: not compared)."""

    def __eq__(self, other: object) -> bool:
        """The same words in every locale (the cache of built copies does not count)."""
        if not isinstance(other, Localisation):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in _DATA_FIELDS)

    __hash__ = None  # type: ignore[assignment]  # compared by value, so never a dict key

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_cache"] = {}
        state["_words"] = {}
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        object.__setattr__(self, "_lock", threading.Lock())

    @property
    def default_locale(self) -> str:
        return f"{self.source_language}-{self.default_region}"

    @property
    def locales(self) -> tuple[str, ...]:
        """Every shipped locale, the default first, then English for each region, then translations."""
        tags = [self.default_locale]
        tags += [f"{self.source_language}-{r}" for r in self.regions if r != self.default_region]
        for t in self.translations.values():
            tags += [f"{t.language}-{r}" for r in t.regions]
        return tuple(dict.fromkeys(tags))

    def text(self, key: str, language: str, region: str) -> str:
        """The string ``key`` in ``language`` for ``region``, every placeholder filled."""
        english = self.source[key]
        if language == self.source_language:
            raw = english
        else:
            raw = self.translations[language].texts.get(key, english)
        return self.render(raw, language, region)

    def render(self, raw: str, language: str, region: str) -> str:
        if "{" in raw and self.regions.get(region):
            words = self._words.get((region, language))
            if words is None:  # the same words for every string: filled in at most once per locale
                words = {k: self._value(region, k, language) for k in self.regions[region]}
                self._words[region, language] = words
            raw = fill(raw, words)
        if language == self.source_language and self.spelling.get(region):
            raw = _respell(raw, self.spelling[region])
        return raw

    def _value(self, region: str, key: str, language: str) -> str:
        english = self.regions[region][key]
        if language == self.source_language:
            return english
        return self.translations[language].texts.get(f"regions.{region}.{key}", english)

    def ui(self, language: str, region: str) -> dict[str, str]:
        """Every UI string in the locale (program-filled ``{params}`` left in place)."""
        return {
            key.removeprefix("ui."): self.text(key, language, region)
            for key in self.source
            if key.startswith("ui.")
        }


_DATA_FIELDS = tuple(f for f in dataclasses.fields(Localisation) if not f.name.startswith("_"))


_WORD = re.compile(r"[A-Za-z]+")


def _respell(text: str, spelling: Mapping[str, str]) -> str:
    def swap(m: re.Match[str]) -> str:
        word = m.group(0)
        new = spelling.get(word.lower())
        if new is None:
            return word
        return new[:1].upper() + new[1:] if word[:1].isupper() else new

    return _WORD.sub(swap, text)


def resolve(loc: Localisation, tag: str) -> str:
    """The shipped locale a BCP 47 tag asks for (``en-us`` -> ``en-US``, ``es`` -> ``es-US``).

    Raises ``LocaleError`` naming the shipped locales for any other tag.
    """
    shipped = loc.locales
    if not isinstance(tag, str) or not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", tag):
        raise LocaleError(f"{tag!r} is not a BCP 47 language tag (shipped: {', '.join(shipped)})")
    wanted = tag.lower()
    for t in shipped:
        if t.lower() == wanted:
            return t
    if "-" not in wanted:
        for t in shipped:
            if t.split("-")[0].lower() == wanted:
                return t
    raise LocaleError(f"locale {tag!r} is not shipped (shipped: {', '.join(shipped)})")


def localize(g: Guidance, tag: str) -> Guidance:
    """``g`` in the locale ``tag`` (see the module docstring); kept once built."""
    loc = g.localisation
    if loc is None:
        raise LocaleError(f"{g.id} carries no locale data")
    locale = resolve(loc, tag)
    done = loc._cache.get(locale)
    if done is not None:
        return done
    with loc._lock:
        done = loc._cache.get(locale)
        if done is None:
            done = loc._cache[locale] = _build(g, loc, locale)
    return done


def _build(g: Guidance, loc: Localisation, locale: str) -> Guidance:
    language, region = locale.split("-")

    def text(key: str, _current: str) -> str:
        return loc.text(key, language, region) if key in loc.source else _current

    parts = rewrite(
        {
            "metadata": g.metadata,
            "questions": g.questions,
            "red_flags": g.red_flags,
            "thermal_rules": g.thermal_rules,
            "relief": g.relief,
            "prevention": g.prevention,
            "hazards": g.hazards,
            "conflicts": g.conflicts,
            "poses": g.poses,
        },
        text,
    )
    parts["metadata"] = parts["metadata"].model_copy(update={"language": locale, "jurisdiction": [region]})
    return dataclasses.replace(g, **parts, locale=locale, ui=loc.ui(language, region))
