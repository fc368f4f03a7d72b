"""``validate`` for locales: placeholders, regions, care by meaning, translations, reading grade.

Run once from the loader (``check_localisation``) after the content has
passed its own checks.  Every problem names its file, line and column and
has a stable code (docs/localisation.md lists them):

``placeholder-unknown``   a ``{name}`` no region defines (with a did-you-mean);
``placeholder-unused``    a placeholder nothing uses;
``region-incomplete``     a region that does not fill every placeholder, or fills an unknown one;
``care-missing``          a red flag without ``care``, or a care its urgency does not allow;
``care-not-named``        a red flag's advice names no place that gives its kind of care;
``translation-missing``   a string with no translation;
``translation-stale``     a translation whose English source has changed since;
``translation-unknown``   a translation of a string that does not exist;
``translation-placeholders``  a translation that drops or adds a placeholder;
``translation-unreviewed``    (warning) a language no clinician has reviewed;
``ui-language``           ``ui.yaml`` in another language than the content;
``ui-missing``            a folder's own ``ui.yaml`` lacks a string this kneeguide shows;
``ui-params``             a string that takes other values than this kneeguide fills in;
``ui-unknown``            (warning) a string this kneeguide never shows;
``reading-grade``         a locale's patient text above its language's limit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from .. import textcheck
from ..hints import did_you_mean
from ..models import Metadata, RedFlag
from ..yamlsource import SourceError, YamlDocument, read_yaml
from .core import Localisation, Translation
from .files import Placeholder, RegionsFile, TranslationFile, UiEntry, UiFile, schema_of
from .texts import placeholders_in, walk
from .translation_checks import check_reading, check_translation

if TYPE_CHECKING:
    from ..checks.core import Checker as Reporter

__all__ = ["LOCALE_FILES", "check_localisation"]

LOCALE_FILES = ("regions.yaml", "ui.yaml")
"""Optional files of a guidance folder, beside ``translations/<language>.yaml``."""

_CARE_BY_URGENCY = {
    "emergency": ("emergency_services", "emergency_department"),
    "urgent": ("same_day", "emergency_department"),
    "soon": ("routine", "pharmacist"),
}
"""The kinds of care each urgency may send a person to (contracts.md section 2)."""

_COLLECTION_FILES = {
    "questions": ("questions.yaml", "questions"),
    "red_flags": ("red_flags.yaml", "red_flags"),
    "thermal": ("thermal.yaml", "rules"),
    "relief": ("relief.yaml", "steps"),
    "prevention": ("prevention.yaml", "steps"),
    "hazards": ("hazards.yaml", "hazards"),
    "conflicts": ("conflicts.yaml", "conflicts"),
    "figures": ("figures.yaml", "poses"),
}


class _Check:
    def __init__(self, out: Reporter, folder: Path, docs: dict[str, YamlDocument]) -> None:
        self.out = out
        self.folder = folder
        self.docs = docs
        self.errors = 0
        self.region_index: dict[str, int] = {}

    @property
    def ok(self) -> bool:
        return self.errors == 0

    def error(self, name: str, path: Sequence[str | int], message: str, code: str, **kw: Any) -> None:
        if kw.get("severity") != "warning":
            self.errors += 1
        self.out.error(name, path, message, code=code, **kw)

    # -- reading ------------------------------------------------------------------------

    def read(self, name: str, path: Path, model: type[BaseModel]) -> Any:
        """Read one locale file into ``docs`` and its model, reporting every problem."""
        try:
            doc = read_yaml(path)
        except SourceError as exc:
            self.docs[name] = YamlDocument(data={})
            self.error(name, (), f"{exc.message} (line {exc.line}, column {exc.column})", "yaml")
            return None
        self.docs[name] = doc
        from ..checks.files import pointer_check

        pointer_check(self.out, name, doc, schema_of(name))
        for problem in textcheck.problems(doc.data):
            self.error(name, problem.path, problem.message, "character", offset=problem.offset)
        try:
            return model.model_validate(doc.data)
        except ValidationError as exc:
            for e in exc.errors():
                self.error(name, tuple(e["loc"]), e["msg"], "content")
            return None

    def locate(self, key: str) -> tuple[str, tuple[str | int, ...]]:
        """The file and path of a content key (``red_flags.possible_dvt.advice``)."""
        parts = key.split(".")
        if parts[0] == "guideline":
            return "guideline.yaml", ("guideline", *parts[1:])
        if parts[0] == "ui":
            return "ui.yaml", ("strings", ".".join(parts[1:]))
        if parts[0] == "regions":
            return "regions.yaml", ("regions", self.region_index.get(parts[1], 0), "values", parts[2])
        fname, list_key = _COLLECTION_FILES[parts[0]]
        items = self.docs[fname].data[list_key]
        index = next(i for i, item in enumerate(items) if item.get("id") == parts[1])
        path: list[str | int] = [list_key, index]
        rest = parts[2:]
        if len(rest) >= 3 and rest[0] == "choices":
            choices = items[index].get("choices") or []
            j = next((j for j, c in enumerate(choices) if c.get("code") == rest[1]), 0)
            return fname, (*path, "choices", j, *rest[2:])
        return fname, (*path, *(int(p) if p.isdigit() else p for p in rest))


def check_localisation(
    out: Reporter,
    folder: Path,
    docs: dict[str, YamlDocument],
    parts: Mapping[str, Any],
    packaged: Path,
    strict: bool = True,
) -> tuple[Localisation | None, dict[str, str]]:
    """Check the locale files of ``folder`` and build its ``Localisation``.

    ``docs`` gains the locale files read (so they count in the digest);
    ``parts`` holds the checked content (``Guidance`` field values);
    ``packaged`` is the packaged guideline, whose ``regions.yaml`` and
    ``ui.yaml`` serve a folder that has none (in its own region only);
    ``strict`` makes a translation that drifted from the English an error
    (``validate``) rather than a withheld language (``load``).  Returns
    the localisation (None when a problem was found) and each locale's
    reading grade in words.
    """
    c = _Check(out, folder, docs)
    meta: Metadata = parts["metadata"]
    own_regions = (folder / "regions.yaml").exists()
    if own_regions:
        regions = c.read("regions.yaml", folder / "regions.yaml", RegionsFile)
    else:  # the packaged regions, for the content's own region only: one locale, nothing to map
        shared = RegionsFile.model_validate(read_yaml(packaged / "regions.yaml").data)
        home = meta.jurisdiction[0]
        regions = shared.model_copy(
            update={"default": home, "regions": [r for r in shared.regions if r.code == home]}
        )
    if (folder / "ui.yaml").exists():
        ui = c.read("ui.yaml", folder / "ui.yaml", UiFile)
        if ui is not None and folder.resolve() != packaged.resolve():
            _check_ui_keys(c, ui, UiFile.model_validate(read_yaml(packaged / "ui.yaml").data), packaged)
    else:
        ui = UiFile.model_validate(read_yaml(packaged / "ui.yaml").data)
    translations: dict[str, TranslationFile] = {}
    tdir = folder / "translations"
    if tdir.is_dir():
        for path in sorted(tdir.glob("*.y*ml")):
            name = f"translations/{path.name}"
            t = c.read(name, path, TranslationFile)
            if t is not None:
                translations[name] = t
    if ui is None or regions is None:
        return None, {}

    source_language = meta.language.split("-")[0]
    default_region = regions.default
    placeholders = {p.key: p for p in regions.placeholders}
    c.region_index = {r.code: i for i, r in enumerate(regions.regions)}

    content = walk(parts)
    ui_params = {}
    source: dict[str, str] = dict(content)
    for key, entry in ui.strings.items():
        text, params = (entry.text, entry.params) if isinstance(entry, UiEntry) else (entry, [])
        source[f"ui.{key}"] = text
        ui_params[f"ui.{key}"] = tuple(params)
    for r in regions.regions:
        for key, value in r.values.items():
            source[f"regions.{r.code}.{key}"] = value

    used = _check_placeholders(c, source, placeholders, ui_params)
    if own_regions:
        _check_regions(c, regions, placeholders, used)
        _check_care(c, parts["red_flags"], placeholders)
    if source_language != ui.language:
        c.error(
            "ui.yaml",
            ("language",),
            f"the UI strings are in {ui.language!r}, the content in {source_language!r}",
            "ui-language",
        )

    region_codes = [r.code for r in regions.regions]
    built: dict[str, Translation] = {}
    for name, t in translations.items():
        if check_translation(c, name, t, source, source_language, region_codes, strict):
            built[t.language] = Translation(
                t.language,
                t.name,
                tuple(t.regions),
                t.translator,
                t.reviewed,
                t.reviewer,
                {k: e.text for k, e in t.texts.items()},
            )
    loc = Localisation(
        source_language=source_language,
        default_region=default_region,
        source=source,
        regions={r.code: {k: r.values.get(k, "") for k in placeholders} for r in regions.regions},
        spelling={r.code: dict(r.spelling) for r in regions.regions},
        region_names={r.code: r.name for r in regions.regions},
        translations=built,
        ui_params=ui_params,
    )
    readings = check_reading(c, loc, meta, translations)
    return (loc if c.ok else None), readings


def _check_ui_keys(c: _Check, ui: UiFile, program: UiFile, packaged: Path) -> None:
    """A folder's own ``ui.yaml`` holds every string the program shows, each with its values.

    The packaged ``ui.yaml`` is the program's list: a folder written for an
    older kneeguide lacks the strings added since, and would otherwise fail
    only when a command reached one of them.
    """

    def params(entry: str | UiEntry) -> list[str]:
        return list(entry.params) if isinstance(entry, UiEntry) else []

    source = packaged / "ui.yaml"
    for key, entry in program.strings.items():
        theirs = ui.strings.get(key)
        if theirs is None:
            values = f" (it takes {', '.join(params(entry))})" if params(entry) else ""
            c.error(
                "ui.yaml",
                ("strings",),
                f"no string {key!r}, which this version of kneeguide shows{values}: copy it from "
                f"the ui.yaml kneeguide ships ({source}) and word it as you wish",
                "ui-missing",
            )
        elif params(theirs) != params(entry):
            c.error(
                "ui.yaml",
                ("strings", key),
                f"{key!r} takes {params(theirs) or 'no values'}, but kneeguide fills in "
                f"{params(entry) or 'no values'}: set its params to {params(entry)} as in {source}, "
                "and use only those in its text",
                "ui-params",
            )
    for key in sorted(ui.strings.keys() - program.strings.keys()):
        c.error(
            "ui.yaml",
            ("strings", key),
            f"kneeguide never shows a string {key!r}{did_you_mean(key, program.strings)}: rename it "
            "to a string kneeguide shows, or remove it",
            "ui-unknown",
            severity="warning",
            key=True,
        )


def _check_placeholders(
    c: _Check,
    source: Mapping[str, str],
    placeholders: Mapping[str, Placeholder],
    params: Mapping[str, tuple[str, ...]],
) -> set[str]:
    used: set[str] = set()
    for key, text in source.items():
        if key.startswith("regions."):
            for name, offset in placeholders_in(text):
                fname, path = c.locate(key)
                c.error(
                    fname,
                    path,
                    f"a region's words cannot hold a placeholder ({{{name}}})",
                    "placeholder-unknown",
                    offset=offset,
                )
            continue
        allowed = set(params.get(key, ()))
        for name, offset in placeholders_in(text):
            if name in placeholders:
                used.add(name)
            elif name not in allowed:
                fname, path = c.locate(key)
                known = sorted(placeholders) + sorted(allowed)
                listing = ", ".join(known) if known else "none: this guidance has no regions.yaml"
                c.error(
                    fname,
                    path,
                    f"unknown placeholder {{{name}}}{did_you_mean(name, known)} (known: {listing})",
                    "placeholder-unknown",
                    offset=offset,
                )
    return used


def _check_regions(
    c: _Check, regions: RegionsFile, placeholders: Mapping[str, Placeholder], used: set[str]
) -> None:
    for i, p in enumerate(regions.placeholders):
        if p.key not in used:
            c.error(
                "regions.yaml",
                ("placeholders", i, "key"),
                f"placeholder {{{p.key}}} is never used",
                "placeholder-unused",
            )
    codes = [r.code for r in regions.regions]
    if regions.default not in codes:
        c.error(
            "regions.yaml",
            ("default",),
            f"the default region {regions.default!r} is not defined",
            "region-incomplete",
        )
    for i, r in enumerate(regions.regions):
        if r.code in codes[:i]:
            c.error(
                "regions.yaml",
                ("regions", i, "code"),
                f"region {r.code!r} is defined twice",
                "region-incomplete",
            )
        for key in placeholders:
            value = r.values.get(key)
            if value is None and placeholders[key].may_be_empty:
                continue
            if value is None:
                c.error(
                    "regions.yaml",
                    ("regions", i, "values"),
                    f"region {r.code} does not fill {{{key}}}",
                    "region-incomplete",
                )
            elif not value.strip() and not placeholders[key].may_be_empty:
                c.error(
                    "regions.yaml",
                    ("regions", i, "values", key),
                    f"region {r.code} leaves {{{key}}} empty",
                    "region-incomplete",
                )
        for key in r.values:
            if key not in placeholders:
                c.error(
                    "regions.yaml",
                    ("regions", i, "values", key),
                    f"region {r.code} fills unknown placeholder {{{key}}}{did_you_mean(key, placeholders)}",
                    "region-incomplete",
                    key=True,
                )


def _check_care(c: _Check, red_flags: Sequence[RedFlag], placeholders: Mapping[str, Placeholder]) -> None:
    """Each red flag says what kind of care it needs, and its advice names a place that gives it."""
    items = c.docs["red_flags.yaml"].data["red_flags"]
    for i, rf in enumerate(red_flags):
        allowed = _CARE_BY_URGENCY.get(rf.urgency, ())
        if rf.care is None:
            c.error(
                "red_flags.yaml",
                ("red_flags", i, "id"),
                f"red flag {rf.id!r} needs 'care' (for {rf.urgency}: {' or '.join(allowed)})",
                "care-missing",
            )
            continue
        if rf.care not in allowed:
            c.error(
                "red_flags.yaml",
                ("red_flags", i, "care"),
                f"care {rf.care!r} does not fit urgency {rf.urgency!r} (use {' or '.join(allowed)})",
                "care-missing",
            )
        named = {name for name, _ in placeholders_in(items[i]["advice"]) if name in placeholders}
        if not any(rf.care in placeholders[n].care for n in named):
            givers = sorted(k for k, p in placeholders.items() if rf.care in p.care)
            c.error(
                "red_flags.yaml",
                ("red_flags", i, "advice"),
                f"the advice names no place that gives {rf.care} care: use "
                + " or ".join(f"{{{g}}}" for g in givers),
                "care-not-named",
            )
