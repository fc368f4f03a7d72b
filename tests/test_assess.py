"""The Python API and ``kneeguide assess``: strict answers, contract-shaped results."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import kneeguide
from kneeguide.cli import main
from kneeguide.engine import AnswersError, Assessment
from kneeguide.guidance import Guidance

BASELINE: dict[str, Any] = json.loads(
    (Path(__file__).parent / "answers" / "baseline.json").read_text("utf-8")
)


def answers(**changes: Any) -> dict[str, Any]:
    return {**BASELINE, **changes}


def test_contract_shape(guidance: Guidance) -> None:
    data = guidance.assess(answers()).model_dump(mode="json")
    assert set(data) >= {"guidance", "urgency", "red_flags", "thermal", "relief", "prevention", "trace"}
    assert set(data["guidance"]) == {"id", "version", "digest", "locale"}
    assert data["guidance"]["digest"].startswith("sha256:") and len(data["guidance"]["digest"]) == 71
    assert data["urgency"] in ("self_care", "soon", "urgent", "emergency")
    assert set(data["thermal"]) >= {"advice", "rule", "instructions", "cautions", "sources"}
    for item in data["relief"] + data["prevention"]:
        assert set(item) >= {"id", "text", "sources"} and item["sources"]
    for entry in data["trace"]:
        assert set(entry) >= {"rule", "fired", "why"} and entry["why"]
    assert len(data["trace"]) == sum(1 for _ in guidance.rules())


def test_module_level_api_uses_the_packaged_guidance() -> None:
    a = kneeguide.assess(answers())
    assert isinstance(a, Assessment)
    assert a.guidance.id == kneeguide.load().id


def test_red_flag_makes_urgency_and_is_sourced(guidance: Guidance) -> None:
    a = guidance.assess(answers(leg_cold_pale_or_blue=True))
    assert a.urgency == "emergency"
    assert a.thermal.advice == "none"
    assert all(rf.sources for rf in a.red_flags)
    fired = {t.rule for t in a.trace if t.fired}
    assert {rf.id for rf in a.red_flags} <= fired


def test_every_problem_is_named_at_once(guidance: Guidance) -> None:
    bad = answers(age_years="40", pain_score=11, muscle="shin", visible_swelling="yes", colour="red")
    del bad["fever"]
    with pytest.raises(AnswersError) as info:
        guidance.assess(bad)
    fields = {p.field: p.message for p in info.value.problems}
    assert set(fields) == {"age_years", "pain_score", "muscle", "visible_swelling", "colour", "fever"}
    assert "whole number" in fields["age_years"]
    assert "out of range" in fields["pain_score"]
    assert "expected one of" in fields["muscle"]
    assert "true or false" in fields["visible_swelling"]
    assert "unknown" in fields["colour"]
    assert "missing" in fields["fever"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("visible_swelling", 1),
        ("visible_swelling", 0),
        ("age_years", 40.0),
        ("age_years", True),
        ("muscle", None),
    ],
)
def test_no_coercion(guidance: Guidance, field: str, value: object) -> None:
    with pytest.raises(AnswersError) as info:
        guidance.assess(answers(**{field: value}))
    assert [p.field for p in info.value.problems] == [field]


def _pretender(kind: type) -> object:
    """An object that says its class is ``kind`` and agrees with every comparison."""

    class Pretender:
        __class__ = property(lambda self: kind)

        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = object.__hash__
        __lt__ = __le__ = __gt__ = __ge__ = __eq__

        def __bool__(self) -> bool:
            return False

    return Pretender()


@pytest.mark.parametrize(
    ("field", "kind"), [("pain_score", int), ("muscle", str), ("chest_pain_or_breathless", bool)]
)
def test_an_object_that_pretends_to_be_an_answer_is_refused(
    guidance: Guidance, field: str, kind: type
) -> None:
    with pytest.raises(AnswersError) as info:
        guidance.assess(answers(**{field: _pretender(kind)}))
    assert [p.field for p in info.value.problems] == [field]


def test_a_key_that_pretends_to_be_a_question_id_is_unknown(guidance: Guidance) -> None:
    with pytest.raises(AnswersError) as info:
        guidance.assess({**answers(), _pretender(str): True})  # type: ignore[dict-item]
    assert [p.code for p in info.value.problems] == ["unknown_question"]


def test_missing_answers_never_give_self_care(guidance: Guidance) -> None:
    with pytest.raises(AnswersError) as info:
        guidance.assess({"age_years": 40})
    assert "chest_pain_or_breathless" in {p.field for p in info.value.problems}


def test_not_a_mapping(guidance: Guidance) -> None:
    with pytest.raises(AnswersError):
        guidance.assess([("age_years", 40)])  # type: ignore[arg-type]


def _run(args: list[str], stdin: str = "") -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "kneeguide.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_cli_json_matches_the_api(guidance: Guidance) -> None:
    code, out, err = _run(
        ["assess", "--answers", "-", "--format", "json"], json.dumps(answers(bruising=True))
    )
    assert code == 0, err
    assert json.loads(out) == guidance.assess(answers(bruising=True)).model_dump(mode="json")


def test_cli_text_puts_what_to_do_first(guidance: Guidance) -> None:
    code, out, _ = _run(["assess", "--answers", "-"], json.dumps(answers(chest_pain_or_breathless=True)))
    assert code == 0
    assert out.startswith("EMERGENCY")
    a = guidance.assess(answers(chest_pain_or_breathless=True))
    assert out.index(a.red_flags[0].title) < out.index("Ice or heat")
    assert out.index("Ice or heat") < out.index("Sources")


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("", "empty"),
        ("not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('"text"', "must be a JSON object"),
        ("[" * 5000 + "]" * 5000, "nested too deeply"),
        ('{"a": ' + '"x"' * 1 + "}" + " " * 70000, "larger than"),
        ('{"age_years": NaN}', "not valid JSON"),
        (json.dumps({"age_years": "40", "colour": 1}), "age_years: expected a whole number"),
    ],
)
def test_cli_bad_answers_exit_2_without_traceback(stdin: str, message: str) -> None:
    code, out, err = _run(["assess", "--answers", "-"], stdin)
    assert code == 2
    assert message in err
    assert "Traceback" not in out + err


def test_cli_names_every_bad_field() -> None:
    code, _, err = _run(["assess", "--answers", "-"], json.dumps(answers(age_years="40", colour=1)))
    assert code == 2
    assert "age_years: expected a whole number" in err
    assert "colour: unknown question id" in err


def test_cli_missing_answers_file() -> None:
    code, _, err = _run(["assess", "--answers", "/nonexistent/answers.json"])
    assert code == 2 and "cannot read answers" in err and "Traceback" not in err


def test_cli_bad_guidance_folder(tmp_path: Path) -> None:
    code, _, err = _run(["assess", "--answers", "-", "--guidance", str(tmp_path / "nope")], "{}")
    assert code == 2 and "does not exist" in err


class _Person(io.StringIO):
    """Replies to whichever question was printed last: a bad reply first, then a plain one."""

    def __init__(self, guidance: Guidance, screen: io.StringIO) -> None:
        super().__init__()
        self.by_text = {q.text: q for q in guidance.questions}
        self.screen = screen
        self.tried: set[str] = set()
        self.asked: list[str] = []

    def readline(self, *args: object) -> str:
        shown = self.screen.getvalue()
        block = shown[shown.rindex("\nQuestion ") :].splitlines()[2]
        q = self.by_text[block]
        if q.id not in self.tried and q.type != "choice":
            self.tried.add(q.id)
            return "maybe\n" if q.type == "boolean" else f"{(q.maximum or 0) + 1}\n"
        self.asked.append(q.id)
        if not q.required:
            return "\n"
        return {"boolean": "no\n", "integer": f"{q.minimum}\n", "choice": "1\n"}[q.type]


def test_interactive_asks_only_what_matters(
    guidance: Guidance, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    screen = io.StringIO()
    person = _Person(guidance, screen)
    monkeypatch.setattr(sys, "stdin", person)
    monkeypatch.setattr(sys, "stderr", screen)
    assert main(["assess", "--interactive", "--format", "json"]) == 0
    assert "please answer yes or no" in screen.getvalue()
    result = json.loads(capsys.readouterr().out)
    assert result["guidance"]["id"] == guidance.id
    assert person.asked == [q for q in guidance.ask_order if q in person.asked], "asked in ask order"
    answers = {q.id: False for q in guidance.questions if not q.required}
    for qid in person.asked:
        q = next(x for x in guidance.questions if x.id == qid)
        answers[qid] = {
            "boolean": False,
            "integer": q.minimum,
            "choice": q.choices[0].code if q.choices else None,
        }[q.type]
    step = guidance.interview(answers)
    assert step.status != "needs_answers" and step.assessment is not None
    assert result == json.loads(step.assessment.model_dump_json())


def test_interactive_end_of_input_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("40\n"))
    assert main(["assess", "--interactive"]) == 2
    assert "input ended" in capsys.readouterr().err


def test_fast_construction_round_trips_through_validation(guidance: Guidance) -> None:
    """The engine builds Assessments without re-validating; they must still be valid."""
    a = guidance.assess(answers(visible_swelling=True, wakes_from_sleep=True))
    again = Assessment.model_validate(a.model_dump())
    assert again == a
    assert again.model_dump(mode="json") == a.model_dump(mode="json")
    assert a.model_fields_set == set(Assessment.model_fields)


def test_masked_thermal_rules_are_explained(guidance: Guidance) -> None:
    a = guidance.assess(answers(leg_cold_pale_or_blue=True, visible_swelling=True, trigger="injury"))
    thermal = [t for t in a.trace if t.kind == "thermal"]
    assert [t.rule for t in thermal if t.fired] == [a.thermal.rule]
    masked = [t for t in thermal if not t.fired and "has a higher priority" in t.why]
    assert masked and all(repr(a.thermal.rule) in t.why for t in masked)


def test_brackets_inside_answer_strings_are_not_nesting() -> None:
    code, _, err = _run(
        ["assess", "--answers", "-"], json.dumps(answers(muscle="[[[[[[[[[[[[[[[[[[[[[[[[[["))
    )
    assert code == 2
    assert "muscle: expected one of" in err
    assert "nested too deeply" not in err
