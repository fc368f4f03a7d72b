"""Safe to embed: a host's service runs kneeguide for years, in threads and process pools.

* Review dates gate ``validate`` only.  The day after ``next_review_due``,
  ``load``, ``assess`` and ``export`` still work, with a warning the host can
  see; the date is compared in UTC.  Every test here sets its own day.
* Every error kneeguide raises on purpose is a ``KneeguideError`` and
  survives pickling with its data, so a bad answer set in a process pool
  comes back as that error instead of breaking the pool.
* The packaged guidance is loaded once per process, even by threads
  starting together.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import multiprocessing
import os
import pickle
import subprocess
import sys
import threading
import warnings
from pathlib import Path
from typing import Any

import pytest

import kneeguide
from kneeguide import errors, loader
from kneeguide.cli import main
from kneeguide.diagnostics import Diagnostic, ExitCode
from kneeguide.errors import AnswerProblem, AnswersError, ContentError, KneeguideError, ReviewOverdueWarning
from kneeguide.guidance import Guidance
from kneeguide.review import TODAY_ENV, resolve_today, review_status

BASELINE = json.loads((Path(__file__).parent / "answers" / "baseline.json").read_text("utf-8"))


def _day_after_review(g: Guidance) -> dt.date:
    return g.metadata.next_review_due + dt.timedelta(days=1)


# --- the time bomb ----------------------------------------------------------------------


def test_load_the_day_after_the_review_date_succeeds_with_a_warning(guidance: Guidance) -> None:
    late = _day_after_review(guidance)
    with pytest.warns(ReviewOverdueWarning, match=f"was due on {guidance.metadata.next_review_due}"):
        g = loader.load(today=late)
    assert g.digest == guidance.digest
    assert g.assess(BASELINE).urgency == "self_care"


def test_no_warning_while_the_review_is_not_due(guidance: Guidance) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ReviewOverdueWarning)
        loader.load(today=guidance.metadata.next_review_due)


def test_review_status_tells_the_host_how_overdue(guidance: Guidance) -> None:
    due = guidance.metadata.next_review_due
    status = review_status(guidance.metadata, today=due + dt.timedelta(days=40))
    assert (status.overdue, status.due, status.days_overdue) == (True, due, 40)
    on_time = review_status(guidance.metadata, today=due)
    assert (on_time.overdue, on_time.days_overdue) == (False, 0)


def test_the_day_comes_from_kneeguide_today_then_from_the_utc_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TODAY_ENV, "2031-02-03")
    assert resolve_today() == dt.date(2031, 2, 3)
    assert resolve_today("2030-01-01") == dt.date(2030, 1, 1)
    monkeypatch.setenv(TODAY_ENV, "next tuesday")
    with pytest.raises(ValueError, match="KNEEGUIDE_TODAY must be a date as YYYY-MM-DD"):
        resolve_today()


def test_without_a_day_the_date_is_utc_whatever_the_time_zone() -> None:
    """UTC+14 and UTC-12 disagree about the date for most of every day; both must answer in UTC."""
    code = (
        "import datetime as dt, time; from kneeguide.review import resolve_today; "
        "print(resolve_today() == dt.datetime.now(dt.UTC).date(), time.strftime('%z'))"
    )
    env = {k: v for k, v in os.environ.items() if k != TODAY_ENV}
    for tz, offset in (("Etc/GMT-14", "+1400"), ("Etc/GMT+12", "-1200")):
        done = subprocess.run(
            [sys.executable, "-c", code], env={**env, "TZ": tz}, capture_output=True, text=True, check=True
        )
        assert done.stdout.split() == ["True", offset], done.stdout + done.stderr


def test_assess_and_export_work_the_day_after_the_review_date(
    guidance: Guidance,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(TODAY_ENV, str(_day_after_review(guidance)))
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(BASELINE))
    assert main(["assess", "--answers", str(answers), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["urgency"] == "self_care"
    assert "kneeguide: warning: knee-muscle-spasm" in err and "was due on" in err
    monkeypatch.setenv("KNEEGUIDE_DISABLED_PLUGINS", "html,pdf")
    assert main(["export", "fhir", "-o", str(tmp_path / "out")]) == 0
    assert "was due on" in capsys.readouterr().err


def test_validate_still_fails_overdue_content(guidance: Guidance, capsys: pytest.CaptureFixture[str]) -> None:
    late = str(_day_after_review(guidance))
    assert main(["validate", "--today", late]) == 1
    assert "the review was due on" in capsys.readouterr().out
    assert main(["validate", "--today", str(guidance.metadata.last_review_date)]) == 0
    capsys.readouterr()
    assert main(["validate", "--today", "2026-13-01"]) == 2
    assert "--today must be a date as YYYY-MM-DD" in capsys.readouterr().err


def test_the_packaged_guidance_loads_once_even_for_threads_starting_together(
    guidance: Guidance, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[int] = []
    start = threading.Barrier(8)

    def counting_load(path: object = None) -> Guidance:
        loads.append(1)
        return guidance

    monkeypatch.setattr(kneeguide, "load", counting_load)
    monkeypatch.setattr(kneeguide, "_packaged", [])

    def one() -> str:
        start.wait()
        return kneeguide.assess(BASELINE).urgency

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: one(), range(8)))
    assert results == ["self_care"] * 8 and len(loads) == 1
    kneeguide.assess(BASELINE)
    assert len(loads) == 1


# --- one exception root, and every error pickles ----------------------------------------------


ERRORS: list[KneeguideError] = [
    AnswersError([AnswerProblem(field="age_years", message="expected a whole number, got '40'")]),
    ContentError([Diagnostic("red_flags.yaml", 3, 5, "red_flags[0].urgency", "bad", "error", "content")]),
    errors.UsageError("the answers are empty"),
    errors.MissingExtraError("pdf", "typst", "the pdf format"),
    errors.ExportError("cannot create out"),
    errors.RenderError("'a' was rendered as str"),
    errors.PluginError("format 'x' from plugin 'y' (z 1.0) failed: boom"),
]


@pytest.mark.parametrize("error", ERRORS, ids=[type(e).__name__ for e in ERRORS])
def test_every_error_pickles_with_its_data(error: KneeguideError) -> None:
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error) and str(again) == str(error)
    assert vars(again) == vars(error)
    assert isinstance(again, KneeguideError)


def test_the_old_names_and_bases_are_kept() -> None:
    from kneeguide.cli import UsageError
    from kneeguide.engine import AnswersError as EngineAnswersError
    from kneeguide.export import ExportError, RenderError
    from kneeguide.loader import ContentError as LoaderContentError

    assert EngineAnswersError is AnswersError and issubclass(AnswersError, ValueError)
    assert LoaderContentError is ContentError and kneeguide.ContentError is ContentError
    assert kneeguide.KneeguideError is KneeguideError and UsageError is errors.UsageError
    assert issubclass(RenderError, ExportError)
    assert [ContentError.exit_code, AnswersError.exit_code] == [ExitCode.INVALID, ExitCode.USAGE]
    assert ExitCode.INTERNAL == 3


def _assess_in_worker(answers: dict[str, Any]) -> str:
    return kneeguide.assess(answers).urgency


MIXED: list[dict[str, Any]] = [
    BASELINE,
    {**BASELINE, "age_years": "forty"},
    {**BASELINE, "fever": True},
    {"muscle": "calf"},
    BASELINE,
]


def _outcome(fn: Any, answers: dict[str, Any]) -> object:
    try:
        return fn(answers)
    except AnswersError as exc:
        return sorted(p.field for p in exc.problems)


def test_a_process_pool_survives_bad_answer_sets_and_returns_each_error_intact() -> None:
    expected = [_outcome(_assess_in_worker, a) for a in MIXED]
    assert any(isinstance(e, list) for e in expected) and "self_care" in expected
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as pool:
        for _ in range(2):  # a second round: the pool is still alive after the errors
            futures = [pool.submit(_assess_in_worker, a) for a in MIXED]
            got = []
            for future in futures:
                exc = future.exception(timeout=60)
                if exc is None:
                    got.append(future.result())
                else:
                    assert isinstance(exc, AnswersError), repr(exc)
                    got.append(sorted(p.field for p in exc.problems))
            assert got == expected


def test_a_multiprocessing_pool_reports_the_error_instead_of_hanging() -> None:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        result = pool.map_async(_assess_in_worker, MIXED[:2])
        with pytest.raises(AnswersError) as caught:
            result.get(timeout=60)
        assert [p.field for p in caught.value.problems] == ["age_years"]
        assert pool.apply_async(_assess_in_worker, (BASELINE,)).get(timeout=60) == "self_care"


def test_eight_threads_with_bad_answer_sets_mixed_in_match_one_thread(guidance: Guidance) -> None:
    work = MIXED * 40
    one = [_outcome(guidance.assess, a) for a in work]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        many = list(pool.map(lambda a: _outcome(guidance.assess, a), work))
    assert many == one


def test_every_error_class_sits_under_the_root_and_pickles() -> None:
    """Errors raised from parsing, reading YAML, restoring a compact form and diffing too."""
    import pickle

    from kneeguide import KneeguideError
    from kneeguide.compact import CompactError
    from kneeguide.conditions import ConditionError, NestingError
    from kneeguide.diff import DiffError
    from kneeguide.yamlsource import SourceError

    for err in (
        ConditionError("bad", 3, "unknown-question"),
        NestingError(),
        SourceError("bad yaml", 2, 5, "yaml-syntax"),
        DiffError("no such revision"),
        CompactError("wrong digest"),
    ):
        assert isinstance(err, KneeguideError)
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is type(err) and str(back) == str(err)
        assert vars(back) == vars(err)
