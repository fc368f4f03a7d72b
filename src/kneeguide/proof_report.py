"""What ``verify`` found, and how it is shown: text, JSON and GitHub annotations."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .guidance import Guidance

__all__ = ["Check", "Report", "render_text"]


@dataclass(frozen=True)
class Check:
    """One proved property, or one way a property fails."""

    property: str
    ok: bool
    rules: tuple[str, ...]
    message: str
    counterexample: dict[str, object] | None = None
    counterexample_after: dict[str, object] | None = None
    """Monotonicity only: the answer set after raising the question."""
    engine: dict[str, object] | None = None
    """What the engine decides for the counterexample, so a reader sees the fault."""
    engine_after: dict[str, object] | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "property": self.property,
            "ok": self.ok,
            "rules": list(self.rules),
            "message": self.message,
            "counterexample": self.counterexample,
        }
        if self.counterexample_after is not None:
            out["counterexample_after"] = self.counterexample_after
        if self.engine is not None:
            out["engine"] = self.engine
        if self.engine_after is not None:
            out["engine_after"] = self.engine_after
        return out


@dataclass(frozen=True)
class Report:
    """Every check of one run of ``verify``."""

    guidance: dict[str, str]
    checks: tuple[Check, ...]
    seconds: float
    solver: str
    folder: str = ""

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "guidance": dict(self.guidance),
            "solver": self.solver,
            "checks": [c.to_json() for c in self.checks],
            "seconds": round(self.seconds, 4),
        }


def _compact(answers: Mapping[str, object]) -> str:
    return json.dumps(answers, ensure_ascii=False)


def _engine_line(outcome: Mapping[str, object] | None) -> str:
    if not outcome:
        return ""
    if "error" in outcome:
        return f"engine: {outcome['error']}"
    flags = outcome.get("red_flags") or []
    flag_text = ", ".join(str(f) for f in flags) if isinstance(flags, list) and flags else "none"
    return (
        f"engine gives: urgency {outcome['urgency']}, thermal {outcome['thermal']} "
        f"({outcome['thermal_rule']}), red flags: {flag_text}"
    )


def render_text(report: Report) -> str:
    """The human report: every property proved or failed, with counterexamples."""
    g = report.guidance
    lines = [
        f"verify {g['id']} {g['version']} ({g['digest']})",
        f"method: exact, {report.solver} over every valid answer set",
        "",
    ]
    for c in report.checks:
        label = c.property if c.property != "invariant" else f"invariant {c.rules[0]}"
        if c.ok:
            text = c.message if c.property != "invariant" else c.message.split(": ", 1)[-1]
            lines.append(f"  proved  {label}: {text}")
            continue
        lines.append(f"  FAILED  {c.property}: {c.message}")
        if c.rules:
            lines.append(f"          rules: {', '.join(c.rules)}")
        if c.counterexample is not None:
            name = "before" if c.counterexample_after is not None else "counterexample"
            lines.append(f"          {name}: {_compact(c.counterexample)}")
            if c.engine:
                lines.append(f"          {_engine_line(c.engine)}")
        if c.counterexample_after is not None:
            lines.append(f"          after: {_compact(c.counterexample_after)}")
            if c.engine_after:
                lines.append(f"          {_engine_line(c.engine_after)}")
    proved = sum(c.ok for c in report.checks)
    failed = len(report.checks) - proved
    verdict = "all properties proved" if not failed else f"{failed} failure(s)"
    lines += ["", f"{verdict}: {proved} proved, {failed} failed in {report.seconds:.2f} s"]
    return "\n".join(lines) + "\n"


def _outcome(guidance: Guidance, answers: Mapping[str, object]) -> dict[str, object]:
    """What the engine decides, in a few fields a reader can check at a glance."""
    try:
        a = guidance.assess(answers)
    except Exception as exc:  # the engine refusing is itself the finding to show
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {
        "urgency": a.urgency,
        "thermal": a.thermal.advice,
        "thermal_rule": a.thermal.rule,
        "red_flags": [rf.id for rf in a.red_flags],
    }


_KIND_NAMES = {
    "red_flag": "red flag",
    "thermal": "thermal rule",
    "relief": "relief step",
    "prevention": "prevention step",
}


def _names(ids: Sequence[str]) -> str:
    quoted = [repr(i) for i in ids]
    if not quoted:
        return "none"
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _flat(text: str) -> str:
    return " ".join(text.split())
