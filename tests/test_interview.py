"""The interview: partial answers, only the questions that matter, stop at an emergency."""

from __future__ import annotations

import io
import json
import pickle
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import kneeguide
from kneeguide import cli
from kneeguide.guidance import Guidance
from kneeguide.interactive import run_interview
from kneeguide.models import URGENCIES
from strategies import answer_sets

_HERE = Path(__file__).parent
_SHIPPED = kneeguide.load()


def drive(g: Guidance, full: Mapping[str, object]) -> tuple[Any, dict[str, object]]:
    """Answer next_questions[0] from ``full`` until the interview is settled."""
    answers: dict[str, object] = {}
    while (step := g.interview(answers)).status == "needs_answers":
        qid = step.next_questions[0].id
        assert qid not in answers, "a question is never asked twice"
        answers[qid] = full.get(qid, False)  # an optional question left out of a file means no
    return step, answers


def test_chest_pain_alone_is_an_emergency_with_only_what_to_do_now(guidance: Guidance) -> None:
    step = guidance.interview({"chest_pain_or_breathless": True})
    assert step.status == "emergency"
    assert step.urgency_at_least == "emergency"
    assert step.next_questions == ()
    a = step.assessment
    assert a is not None and a.urgency == "emergency"
    assert "possible_pulmonary_embolism" in {rf.id for rf in a.red_flags}
    assert a.relief == () and a.prevention == ()
    assert a.thermal.advice == "none"


def test_no_answers_asks_the_first_question_of_the_ask_order(guidance: Guidance) -> None:
    step = guidance.interview({})
    assert step.status == "needs_answers"
    assert step.assessment is None
    assert step.next_questions[0].id == guidance.ask_order[0]
    order = [q.id for q in step.next_questions]
    assert order == [q for q in guidance.ask_order if q in order]
    first = step.next_questions[0]
    assert first.text and first.help and first.type


def test_partial_answers_are_checked_as_strictly_as_assess(guidance: Guidance) -> None:
    with pytest.raises(kneeguide.AnswersError) as err:
        guidance.interview({"age_years": "40", "pain_score": 11, "no_such_question": True, "muscle": "toe"})
    assert {p.field for p in err.value.problems} == {"age_years", "pain_score", "no_such_question", "muscle"}


def test_the_packaged_shortcut_matches_the_method(guidance: Guidance) -> None:
    answers = {"chest_pain_or_breathless": False}
    assert kneeguide.interview(answers) == kneeguide.load().interview(answers)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(full=answer_sets(kneeguide.load()))
def test_asking_next_questions_ends_where_assess_does(full: dict[str, object]) -> None:
    g = _SHIPPED
    final = g.assess(full)
    step, _ = drive(g, full)
    assert URGENCIES.index(step.urgency_at_least) <= URGENCIES.index(final.urgency)
    assert step.assessment is not None
    if step.status == "complete":
        completed = {**{q.id: False for q in g.questions if not q.required}, **full}
        assert step.assessment == g.assess(completed)
    else:
        assert step.status == "emergency"
        assert final.urgency == "emergency"
        certain = {rf.id for rf in step.assessment.red_flags}
        assert certain <= {rf.id for rf in final.red_flags}
        assert step.assessment.relief == () and step.assessment.prevention == ()
        assert step.assessment.thermal.advice == "none"


def test_the_interview_asks_fewer_questions_on_average(guidance: Guidance) -> None:
    counts = []
    for full in _samples(guidance, 200):
        _, answers = drive(guidance, full)
        counts.append(len(answers))
    assert sum(counts) / len(counts) < len(guidance.questions)


def test_needs_answers_is_never_a_result(guidance: Guidance) -> None:
    for full in _samples(guidance, 50):
        answers: dict[str, object] = {}
        for qid in guidance.ask_order:
            step = guidance.interview(answers)
            if step.status == "needs_answers":
                assert step.assessment is None and step.next_questions
            answers[qid] = full.get(qid, False)


def _samples(g: Guidance, n: int) -> Iterator[dict[str, object]]:
    """Plain answer sets from the baseline with a few findings switched on, deterministically."""
    import random

    rng = random.Random(7)
    base = json.loads((_HERE / "answers" / "baseline.json").read_text("utf-8"))
    booleans = [q.id for q in g.questions if q.type == "boolean"]
    for _ in range(n):
        full = dict(base)
        for qid in rng.sample(booleans, rng.randrange(0, 4)):
            full[qid] = True
        yield full


# --- the command line ---------------------------------------------------------------


def test_cli_interview_json(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.json"
    path.write_text('{"chest_pain_or_breathless": true}', "utf-8")
    assert cli.main(["interview", "--answers", str(path), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "emergency" and out["assessment"]["urgency"] == "emergency"


def test_cli_interview_text_and_bad_answers(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.json"
    path.write_text("{}", "utf-8")
    assert cli.main(["interview", "--answers", str(path)]) == 0
    assert "Ask next" in capsys.readouterr().out
    path.write_text('{"pain_score": "high"}', "utf-8")
    assert cli.main(["interview", "--answers", str(path)]) == 2
    assert "pain_score" in capsys.readouterr().err


def test_interactive_stops_at_an_emergency_and_can_go_back(guidance: Guidance) -> None:
    first = guidance.ask_order[0]
    assert first == "chest_pain_or_breathless"
    out = io.StringIO()
    step = run_interview(guidance, io.StringIO("no\nback\nyes\n"), out)
    assert step.status == "emergency"
    assert out.getvalue().count("Question 1 ") == 2  # asked again after going back
    assert "Question 2 " in out.getvalue()


class _CtrlC(io.StringIO):
    def readline(self, *args: Any) -> str:
        raise KeyboardInterrupt


def test_interactive_ctrl_c_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", _CtrlC())
    assert cli.main(["assess", "--interactive"]) == 130


def test_interactive_refuses_unicode_digits_without_a_traceback(guidance: Guidance) -> None:
    out = io.StringIO()
    answers = "no\n" * 3 + "²\n٣\n"
    with pytest.raises(cli.UsageError):
        run_interview(guidance, io.StringIO(answers), out)
    assert "please" in out.getvalue()


# --- safe to embed: results and guidance --------------------------------------------


def test_results_share_no_mutable_state(guidance: Guidance) -> None:
    base = json.loads((_HERE / "answers" / "baseline.json").read_text("utf-8"))
    a = guidance.assess(base)
    with pytest.raises(AttributeError):
        a.thermal.cautions.append("X")  # type: ignore[attr-defined]
    assert isinstance(a.relief, tuple) and isinstance(a.trace, tuple)


class _TwoFaced(Mapping[str, object]):
    """A mapping whose items() and __getitem__ disagree: only one read may count."""

    def __init__(self, data: dict[str, object]) -> None:
        self.data = data

    def __getitem__(self, key: str) -> object:
        return False if key == "chest_pain_or_breathless" else self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def items(self) -> Any:
        return self.data.items()


def test_answers_are_read_once(guidance: Guidance) -> None:
    base = json.loads((_HERE / "answers" / "baseline.json").read_text("utf-8"))
    base["chest_pain_or_breathless"] = True
    assert guidance.assess(_TwoFaced(base)).urgency == "emergency"


def test_a_guidance_that_has_assessed_pickles(guidance: Guidance) -> None:
    base = json.loads((_HERE / "answers" / "baseline.json").read_text("utf-8"))
    before = guidance.assess(base)
    copy = pickle.loads(pickle.dumps(guidance))
    assert copy.assess(base) == before
