"""The interview: how many questions it asks, and what one step costs.

Each generated answer set is the person; the interview is driven as an app
drives it (ask ``next_questions[0]`` until the status is not
``needs_answers``).  Reported: the mean and worst number of questions asked
against the full question set, how often it stopped at an emergency, and the
time of one ``interview`` call, over every step of every run.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from typing import Any


def measure(answer_sets: Sequence[dict[str, Any]]) -> dict[str, Any]:
    import kneeguide

    g = kneeguide.load()
    g.interview({})
    asked: list[int] = []
    steps: list[float] = []
    emergencies = 0
    for full in answer_sets:
        answers: dict[str, Any] = {}
        while True:
            start = time.perf_counter_ns()
            step = g.interview(answers)
            steps.append((time.perf_counter_ns() - start) / 1000)
            if step.status != "needs_answers":
                break
            qid = step.next_questions[0].id
            answers[qid] = full.get(qid, False)
        emergencies += step.status == "emergency"
        asked.append(len(answers))
    return {
        "questions": len(g.questions),
        "mean_asked": statistics.mean(asked),
        "worst_asked": max(asked),
        "emergency_share": emergencies / len(answer_sets),
        "step_median_us": statistics.median(steps),
        "step_mean_us": statistics.mean(steps),
        "runs": len(answer_sets),
    }
