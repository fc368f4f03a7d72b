"""The fast paths give exactly what the slow ones give.

* guidance restored from its compact form (the wheel's, or the cache's) equals
  guidance from the full pipeline, field by field, and decides alike;
* ``Assessment.to_json()`` and ``Interview.to_json()`` are byte for byte
  ``json.dumps(x.model_dump(mode="json"))``;
* an assessment whose trace is filled in lazily behaves like any other model;
* ``kneeguide assess`` imports no schema, YAML, solver or template library and
  builds no content model's validator.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import pickle
import random
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kneeguide
from kneeguide import compact, result_parts, store
from kneeguide.adaptive import Interview
from kneeguide.decision import URGENCY_NAMES
from kneeguide.engine import Assessment
from kneeguide.errors import ReviewOverdueWarning
from kneeguide.guidance import Guidance
from kneeguide.loader import check
from strategies import answer_sets
from test_vignettes import BASELINE, VIGNETTES

REPO = Path(__file__).resolve().parents[1]
PACKAGED = kneeguide.load()
"""Loaded once: the properties below are about assess, not about loading (tested above)."""


def _fields(g: Guidance) -> dict[str, Any]:
    return {f.name: getattr(g, f.name) for f in dataclasses.fields(g) if not f.name.startswith("_")}


@pytest.fixture(scope="module")
def checked(guidance: Guidance) -> Guidance:
    result = check(guidance.folder, review_dates=False)
    assert result.guidance is not None
    return result.guidance


@pytest.fixture(scope="module")
def restored(checked: Guidance) -> Guidance:
    return compact.restore(compact.dumps(checked), checked.folder)


def test_the_compact_form_restores_every_field(checked: Guidance, restored: Guidance) -> None:
    ours, theirs = _fields(restored), _fields(checked)
    assert ours.keys() == theirs.keys()
    for name, value in theirs.items():
        assert ours[name] == value, name
        assert type(ours[name]) is type(value), name
    # The same models, down to the types validation gives (dates, floats) and the fields set.
    for mine, want in zip(restored.questions, checked.questions, strict=True):
        assert type(mine) is type(want), mine.id  # the model of its type (a tagged union)
        assert mine.model_fields_set == want.model_fields_set
        assert mine.model_dump() == want.model_dump()
    assert restored.metadata.model_dump() == checked.metadata.model_dump()
    assert type(restored.metadata.reading_grade_max) is float
    assert list(restored.conditions) == list(checked.conditions)
    for key, tree in checked.conditions.items():  # positions too, which equality ignores
        assert repr(restored.conditions[key]) == repr(tree)


def test_the_compact_form_decides_alike_on_every_vignette(checked: Guidance, restored: Guidance) -> None:
    for case in VIGNETTES:
        answers = {**BASELINE, **case["answers"]}
        assert restored.assess(answers) == checked.assess(answers), case["id"]
        assert restored.assess_json(answers) == checked.assess_json(answers), case["id"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=answer_sets(PACKAGED), drop=st.integers(0, 40))
def test_the_compact_form_decides_and_interviews_alike(
    checked: Guidance, restored: Guidance, data: dict[str, Any], drop: int
) -> None:
    assert restored.assess(data).to_json() == checked.assess(data).to_json()
    partial = dict(list(data.items())[drop:])
    assert restored.interview(partial) == checked.interview(partial)


@pytest.mark.parametrize(
    "damage",
    [
        lambda f: f.update(digest="sha256:" + "0" * 64),
        lambda f: f["data"]["guideline.yaml"]["guideline"].update(title="Something else"),
        lambda f: f.update(format="kneeguide-compact/0"),
        lambda f: f.update(kneeguide="0.0.1"),
        lambda f: f.update(conditions=[["x", ["Eval", "__import__('os')"]]]),
    ],
    ids=["digest", "content", "format", "version", "node"],
)
def test_a_compact_form_that_cannot_be_trusted_is_refused(checked: Guidance, damage: Any) -> None:
    form = json.loads(compact.dumps(checked))
    damage(form)
    with pytest.raises(compact.CompactError):
        compact.restore(json.dumps(form).encode(), checked.folder)


def test_a_folder_is_validated_once_then_read_from_the_cache(
    content_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(store.CACHE_ENV, str(tmp_path / "cache"))
    first = kneeguide.load(content_copy)
    entries = list((tmp_path / "cache").glob("*.json"))
    assert len(entries) == 1
    assert (tmp_path / "cache").stat().st_mode & 0o077 == 0
    again = kneeguide.load(content_copy)
    assert _fields(again) == _fields(first)
    # A changed content file is a new key: validated again, never served stale.
    path = content_copy / "red_flags.yaml"
    path.write_text(path.read_text("utf-8").replace("urgency: emergency", "urgency: self_care", 1), "utf-8")
    with pytest.raises(kneeguide.ContentError):
        kneeguide.load(content_copy)
    # A damaged entry is not trusted: the folder is checked again.
    entries[0].write_bytes(entries[0].read_bytes().replace(b"Knee", b"Knew", 1))
    path.write_text((REPO / "guidance/knee-muscle-spasm/red_flags.yaml").read_text("utf-8"), "utf-8")
    assert _fields(kneeguide.load(content_copy)) == _fields(first)


def test_a_cache_others_may_write_is_never_read(
    content_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv(store.CACHE_ENV, str(shared))
    kneeguide.load(content_copy)
    assert list(shared.iterdir()) == []


def test_overdue_review_still_warns_from_the_cache(guidance: Guidance, content_copy: Path) -> None:
    late = guidance.metadata.next_review_due.replace(year=guidance.metadata.next_review_due.year + 1)
    for _ in range(2):  # the first load fills the cache, the second reads it
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            store.load(content_copy, today=late)
        assert [w.category for w in caught] == [ReviewOverdueWarning]


# --- the JSON path ---------------------------------------------------------------------------


def _json_of(model: Assessment | Interview) -> str:
    return json.dumps(model.model_dump(mode="json"))


def test_to_json_is_model_dump_on_every_vignette(guidance: Guidance) -> None:
    for case in VIGNETTES:
        a = guidance.assess({**BASELINE, **case["answers"]})
        assert a.to_json() == _json_of(guidance.assess({**BASELINE, **case["answers"]})), case["id"]


def _random_sets(guidance: Guidance, n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    sets = []
    for _ in range(n):
        a: dict[str, Any] = {}
        for q in guidance.questions:
            if q.type == "boolean":
                a[q.id] = rng.random() < 0.2
            elif q.type == "integer":
                a[q.id] = rng.randint(q.minimum or 0, q.maximum or 0)
            else:
                a[q.id] = rng.choice([c.code for c in q.choices or ()])
        sets.append(a)
    return sets


def test_to_json_is_model_dump_on_thousands_of_answer_sets(guidance: Guidance) -> None:
    seen = set()
    for answers in _random_sets(guidance, 3000, seed=21):
        fast = guidance.assess_json(answers)
        assert fast == _json_of(guidance.assess(answers))
        seen.add(json.loads(fast)["thermal"]["rule"])
    assert len(seen) > 3  # the sets reach several thermal rules, so masked entries are compared too


@settings(max_examples=1500, deadline=None)
@given(answers=answer_sets(PACKAGED))
def test_to_json_is_model_dump_at_the_rule_boundaries(answers: dict[str, Any]) -> None:
    g = PACKAGED
    assert g.assess(answers).to_json() == _json_of(g.assess(answers))


def test_interview_to_json_is_model_dump(guidance: Guidance) -> None:
    for answers in _random_sets(guidance, 300, seed=5):
        for drop in (0, 3, 12, len(answers)):
            step = guidance.interview(dict(list(answers.items())[drop:]))
            assert step.to_json() == _json_of(step)


def test_result_parts_equal_validated_ones_and_their_json(guidance: Guidance) -> None:
    # The engine builds its parts without validating them again (``results.trusted``)
    # and encodes them without pydantic's serializer (``results._encoded``).
    p = guidance.engine.parts
    parts = [p.ref, *p.flags, *p.thermal, *p.relief, *p.prevention, *p.chosen]
    parts += [entry for pair in p.entries for entry in pair]
    parts += [p._masked_pair(j, 0)[0] for j in range(1, len(p.thermal))]
    for part in parts:
        validated = type(part).model_validate(part.model_dump())
        assert part == validated and part.__dict__ == validated.__dict__
        assert [type(v) for v in part.__dict__.values()] == [type(v) for v in validated.__dict__.values()]
        assert part.model_fields_set == validated.model_fields_set
        assert result_parts._encoded(part) == json.dumps(validated.model_dump(mode="json"))
        first = next(iter(type(part).model_fields))
        assert part.model_copy(update={first: getattr(part, first)}) == validated


def test_a_lazy_trace_behaves_like_a_field(guidance: Guidance) -> None:
    answers = {**BASELINE, "bruising": True}
    eager = Assessment.model_validate(guidance.assess(answers).model_dump())
    assert guidance.assess(answers) == eager and eager == guidance.assess(answers)
    assert hash(guidance.assess(answers)) == hash(eager)
    assert repr(guidance.assess(answers)) == repr(eager)
    assert dict(guidance.assess(answers)) == dict(eager)
    assert pickle.loads(pickle.dumps(guidance.assess(answers))) == eager
    assert copy.copy(guidance.assess(answers)) == eager
    assert copy.deepcopy(guidance.assess(answers)) == eager
    assert guidance.assess(answers).model_dump_json() == eager.model_dump_json()
    assert guidance.assess(answers).trace == eager.trace
    assert len(eager.trace) == sum(1 for _ in guidance.rules())
    nested = Interview(
        guidance=eager.guidance,
        status="complete",
        urgency_at_least=eager.urgency,
        next_questions=(),
        answered=len(answers),
        assessment=guidance.assess(answers),
    )
    assert nested.model_dump()["assessment"]["trace"] == eager.model_dump()["trace"]


@settings(max_examples=500, deadline=None)
@given(answers=answer_sets(PACKAGED))
def test_the_trace_lists_every_rule_as_the_tree_walk_decides(answers: dict[str, Any]) -> None:
    _check_trace(PACKAGED, answers)


def test_the_trace_lists_every_rule_as_the_tree_walk_decides_on_every_vignette(guidance: Guidance) -> None:
    for case in VIGNETTES:  # self-care among them, where steps are shown
        _check_trace(guidance, {**BASELINE, **case["answers"]})


def _check_trace(g: Guidance, answers: dict[str, Any]) -> None:
    """Each rule's entry, in order: fired as the tree walk says, masked when it applies below the winner."""
    from kneeguide.kleene import evaluate_model_by_tree

    model, a = g.decisions, g.assess(answers)
    values = evaluate_model_by_tree(model, answers)
    ordered = [r.id for r in g.thermal_by_priority()]
    winner = ordered.index(a.thermal.rule)
    assert [(t.rule, t.kind) for t in a.trace] == [(r.id, r.kind) for r in g.rules()]
    for t in a.trace:
        if t.kind != "thermal":
            hit = values[model.selected(t.rule)] is True
            assert t.fired == hit and t.why.startswith(g.ui[f"trace.{'' if hit else 'not_'}fired.{t.kind}"])
            continue
        j = ordered.index(t.rule)
        assert t.fired == (j == winner), t.rule
        masked = j > winner and values[model.applies(t.rule)] is True
        assert (repr(a.thermal.rule) in t.why) == masked, t.rule
        if not t.fired and not masked:
            assert t.why.startswith(g.ui["trace.not_fired.thermal"]), t.rule


# --- a light command line ------------------------------------------------------------------

_PROBE = """
import sys
from kneeguide.cli import main
code = main(sys.argv[1:])
heavy = ["jsonschema", "ruamel", "z3", "jinja2", "typst", "kneeguide_exporters", "kneeguide.loader",
         "kneeguide.yamlsource", "kneeguide.verifier", "pluggy"]
from kneeguide import models, results
built = sorted(n for module in (models, results) for n, m in vars(module).items()
               if isinstance(m, type) and issubclass(m, models.BaseModel) and m.__pydantic_complete__)
print(code, [m for m in heavy if m in sys.modules], built, file=sys.stderr)
"""


@pytest.mark.parametrize("command", ["assess", "interview"])
def test_assess_and_interview_import_only_what_they_use(command: str) -> None:
    answers = str(REPO / "tests" / "answers" / "baseline.json")
    args = [sys.executable, "-c", _PROBE, command, "--answers", answers, "--format", "json"]
    subprocess.run(args, capture_output=True, check=True)  # fills the cache of this run
    done = subprocess.run(args, capture_output=True, text=True, check=True, env=dict(os.environ))
    assert done.stderr.strip().splitlines()[-1] == "0 [] []", done.stderr
    assert json.loads(done.stdout)["guidance"]["id"] == "knee-muscle-spasm"


@pytest.mark.parametrize("args", [["--version"], ["formats"]])
def test_version_and_formats_do_not_import_pydantic(args: list[str]) -> None:
    probe = "import sys; from kneeguide.cli import main; main(sys.argv[1:]); print('pydantic' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "False", done.stdout


# --- the generated evaluators ----------------------------------------------------------------------


def _decided_by_tree(g: Guidance, answers: dict[str, Any]) -> tuple[bool, ...]:
    """What the engine's generated functions return, read from a walk of each definition's tree."""
    from kneeguide.kleene import evaluate_model_by_tree

    model = g.decisions
    values = evaluate_model_by_tree(model, answers)
    levels = [model.urgency_at_least(k) for k in range(1, len(URGENCY_NAMES))]
    return tuple(values[n] is True for n in (*g.engine.outputs, *levels))


def _generated(g: Guidance, answers: dict[str, Any]) -> list[tuple[bool, ...] | None]:
    return [g.engine._run(dict(answers)), g.engine._decide(dict(answers))]


@settings(max_examples=600, deadline=None)
@given(answers=answer_sets(PACKAGED))
def test_the_engine_decides_as_the_tree_walk(answers: dict[str, Any]) -> None:
    g = PACKAGED
    want = _decided_by_tree(g, answers)
    for got in _generated(g, answers):
        assert got == want and all(type(v) is bool for v in got)


def test_the_engine_decides_as_the_tree_walk_on_content_eight_times_over() -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_scale import scaled

    g = scaled(8)
    for answers in _random_sets(kneeguide.load(), 200, seed=9):
        assert _generated(g, answers) == [_decided_by_tree(g, answers)] * 2


# --- the interview's generated three-valued evaluator ---------------------------------------------


@settings(max_examples=600, deadline=None)
@given(answers=answer_sets(PACKAGED), keep=st.lists(st.booleans(), min_size=32, max_size=32))
def test_the_generated_evaluator_agrees_with_the_tree_walk(answers: dict[str, Any], keep: list[bool]) -> None:
    from kneeguide.kleene import evaluate_model, evaluate_model_by_tree

    model = PACKAGED.decisions
    partial = {k: v for (k, v), kept in zip(answers.items(), keep, strict=False) if kept}
    for given_answers in (partial, answers, {}):
        assert evaluate_model(model, given_answers) == evaluate_model_by_tree(model, given_answers)


def test_the_generated_evaluator_agrees_on_content_eight_times_over() -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_scale import scaled

    from kneeguide.kleene import evaluate_model, evaluate_model_by_tree

    model = scaled(8).decisions
    rng = random.Random(8)
    for answers in _random_sets(kneeguide.load(), 200, seed=8):
        partial = {k: v for k, v in answers.items() if rng.random() < 0.5}
        assert evaluate_model(model, partial) == evaluate_model_by_tree(model, partial)
