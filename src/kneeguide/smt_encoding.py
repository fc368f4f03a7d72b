"""The question set as SMT literals: the encoding ``verify`` and ``diff`` share.

Integers are abstracted exactly to the intervals between the thresholds the
conditions compare them with: a literal ``ge:q:t`` per threshold means
"q >= t", chained so that the literals agree with one number.  Two values in
the same interval meet the same conditions, so nothing is lost, and the
whole problem is Boolean.  A choice is one literal per code, exactly one of
them true.  Over two guidances the questions of both share one encoding:
the answers valid on both sides (the intersection of ranges and choices),
every threshold of either side.

This module turns answers into literals and back and conditions into
SMT-LIB text; ``kneeguide.smt.Model`` adds the decision model and the
solvers on top.
"""

from __future__ import annotations

import ctypes
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .conditions import And, Compare, Condition, Const, Flag, Not, OneOf, Or, Ref, thresholds
from .models import Question

if TYPE_CHECKING:
    from .guidance import Guidance

__all__ = ["QuestionEncoding"]

_OP_LEVELS: Mapping[str, tuple[int, bool]] = {
    ">=": (0, True),
    ">": (1, True),
    "<": (0, False),
    "<=": (1, False),
}
"""``x op c`` as "x >= c + shift" (True) or its negation (False)."""


class QuestionEncoding:
    """The question set of one or two guidances as Boolean literals, and conditions over them.

    ``sides`` are the guidances whose questions share the encoding (the
    first one's questions first).  z3 (the module) is passed in by the
    caller, which imports it, so nothing else pays for it.  Conditions are
    written as SMT-LIB text and parsed in one call, because building
    thousands of formulas through the Python API costs more than the proofs.
    """

    def __init__(self, z3: Any, sides: Sequence[Guidance]) -> None:
        self.z3: Any = z3
        self._bools: dict[str, Any] = {}
        self.questions: dict[str, Question] = {}
        """Every question of any side (those only a later side asks last)."""
        for g in sides:
            for q in g.questions:
                self.questions.setdefault(q.id, q)
        self.bounds: dict[str, tuple[int, int]] = {}
        """Per integer question: the values valid on every side that asks it."""
        self.choices: dict[str, tuple[str, ...]] = {}
        """Per choice question: the codes valid on every side that asks it."""
        for qid, q in self.questions.items():
            asked = [x for g in sides for x in g.questions if x.id == qid]
            if q.type == "integer":
                self.bounds[qid] = (max(_bounds(x)[0] for x in asked), min(_bounds(x)[1] for x in asked))
            codes = [c.code for c in q.choices or ()]
            for x in asked[1:]:
                theirs = {c.code for c in x.choices or ()}
                codes = [c for c in codes if c in theirs]
            self.choices[qid] = tuple(codes)
        found: dict[str, set[int]] = {}
        for g in sides:
            for tree in g.conditions.values():
                for qid, values in thresholds(tree).items():
                    found.setdefault(qid, set()).update(values)
        self.cuts: dict[str, list[int]] = {}
        """Per integer question: every t in (minimum, maximum] where some condition changes."""
        for qid, q in self.questions.items():
            if q.type == "integer":
                lo, hi = self.bounds[qid]
                self.cuts[qid] = sorted(
                    {t + d for t in found.get(qid, ()) for d in (0, 1) if lo < t + d <= hi}
                )
        self.preferences = self._preferences()
        """The plainest answers as literals: witnesses are shrunk towards them."""

    # -- names and text -------------------------------------------------------------------

    def _lit(self, qid: str, part: str = "", prime: bool = False) -> str:
        q = self.questions[qid]
        tick = "'" if prime else ""
        if q.type == "boolean":
            return f"q:{qid}{tick}"
        if q.type == "integer":
            return f"ge:{qid}:{part}{tick}"
        return f"is:{qid}:{part}{tick}"

    def question_names(self, prime: str | None = None) -> list[str]:
        """Every literal name of the question set (with ``prime``'s renamed)."""
        names = []
        for q in self.questions.values():
            p = q.id == prime
            if q.type == "boolean":
                names.append(self._lit(q.id, prime=p))
            elif q.type == "integer":
                names += [self._lit(q.id, str(t), p) for t in self.cuts[q.id]]
            else:
                names += [self._lit(q.id, c, p) for c in self.choices[q.id]]
        return names

    def ge(self, qid: str, t: int, prime: bool = False) -> str:
        """SMT-LIB for "q >= t"."""
        lo, hi = self.bounds[qid]
        if t <= lo:
            return "true"
        if t > hi:
            return "false"
        return f"|{self._lit(qid, str(t), prime)}|"

    def encode(self, node: Condition, prime: str | None = None, ref: str = "def:") -> str:
        """SMT-LIB text of a condition; question ``prime`` read from its copy.

        A reference to a decision-model definition is the literal ``ref`` +
        its name (``def:`` for the guidance the model is built on).
        """
        if isinstance(node, Const):
            return "true" if node.value else "false"
        if isinstance(node, Flag):
            return f"|{self._lit(node.question, prime=node.question == prime)}|"
        if isinstance(node, Compare):
            p = node.question == prime
            if node.op in ("==", "!="):
                at, above = self.ge(node.question, node.value, p), self.ge(node.question, node.value + 1, p)
                eq = f"(and {at} (not {above}))"
                return eq if node.op == "==" else f"(not {eq})"
            shift, positive = _OP_LEVELS[node.op]
            atom = self.ge(node.question, node.value + shift, p)
            return atom if positive else f"(not {atom})"
        if isinstance(node, OneOf):
            p = node.question == prime
            codes = [f"|{self._lit(node.question, c, p)}|" for c in sorted(set(node.choices))]
            return f"(or {' '.join(codes)} false)"
        if isinstance(node, Not):
            return f"(not {self.encode(node.operand, prime, ref)})"
        if isinstance(node, And):
            return f"(and {' '.join(self.encode(c, prime, ref) for c in node.operands)} true)"
        if isinstance(node, Or):
            return f"(or {' '.join(self.encode(c, prime, ref) for c in node.operands)} false)"
        if isinstance(node, Ref):
            return f"|{ref}{node.name}|"
        raise TypeError(f"cannot encode {type(node).__name__}; resolve references first")

    def domain_text(self, prime: str | None = None) -> str:
        """The constraints that make the literals one valid answer set."""
        out = []
        for q in self.questions.values():
            if prime is not None and q.id != prime:
                continue
            p = q.id == prime
            if q.type == "integer":
                cuts = self.cuts[q.id]
                out += [
                    f"(assert (=> {self.ge(q.id, b, p)} {self.ge(q.id, a, p)}))"
                    for a, b in itertools.pairwise(cuts)
                ]
            elif q.type == "choice":
                lits = [f"|{self._lit(q.id, c, p)}|" for c in self.choices[q.id]]
                out.append(f"(assert (or {' '.join(lits)}))")
                out += [f"(assert (not (and {a} {b})))" for i, a in enumerate(lits) for b in lits[i + 1 :]]
        return "".join(out)

    def parse(self, text: str, names: Iterable[str] = ()) -> list[Any]:
        """Parse assertions; every ``|name|`` they use is a Boolean."""
        used = set(re.findall(r"\|([^|]*)\|", text)) | set(names)
        decls = "".join(f"(declare-const |{n}| Bool)" for n in sorted(used))
        return list(self.z3.parse_smt2_string(decls + text))

    def atom(self, name: str) -> Any:
        """The literal called ``name`` (cached: creating z3 objects is the slow part)."""
        lit = self._bools.get(name)
        if lit is None:
            lit = self._bools[name] = self.z3.Bool(name)
        return lit

    def signed(self, name: str, value: bool) -> Any:
        """The literal ``name`` or its negation (both cached)."""
        key = name if value else "~" + name
        lit = self._bools.get(key)
        if lit is None:
            lit = self._bools[key] = self.atom(name) if value else self.z3.Not(self.atom(name))
        return lit

    def _preferences(self) -> list[Any]:
        """The plainest answers: no, each question's typical answer (``Question.example_answer``).

        Counterexamples are shrunk towards them, so a reader sees only the
        answers the failure needs, inside the intended use (an adult's age,
        not 0).
        """
        z3 = self.z3
        prefs = []
        for q in self.questions.values():
            v = q.example_answer
            if q.type == "boolean":
                prefs.append(z3.Not(self.atom(self._lit(q.id))))
            elif q.type == "integer":
                for t in self.cuts[q.id]:
                    lit = self.atom(self._lit(q.id, str(t)))
                    prefs.append(lit if isinstance(v, int) and v >= t else z3.Not(lit))
            elif self.choices[q.id]:
                code = v if v in self.choices[q.id] else self.choices[q.id][0]
                prefs.append(self.atom(self._lit(q.id, str(code))))
        return prefs

    # -- asking -------------------------------------------------------------------------

    def check(self, solver: Any, *literals: Any) -> bool:
        """Is ``solver`` satisfiable under the assumption ``literals``?

        The same as ``solver.check(*literals) == sat``, through z3's C API:
        the Python wrapper re-checks the sort of every assumption on every
        call, which costs more than the solving when a check assumes
        hundreds of literals, as shrinking and the engine cross-check do.
        """
        z3 = self.z3
        arr = (z3.Ast * len(literals))(*[lit.as_ast() for lit in literals])
        result = z3.Z3_solver_check_assumptions(solver.ctx.ref(), solver.solver, len(literals), arr)
        return bool(result == z3.Z3_L_TRUE)

    def truth(self, model: Any, formula: Any) -> bool:
        """Is ``formula`` true in ``model`` (unassigned literals read as false)?

        ``is_true(model.eval(...))`` through z3's C API: reading an answer
        set evaluates every literal of the question set, and the wrapper's
        Python objects cost four times the evaluation itself.
        """
        from z3 import z3core, z3types  # type: ignore[import-untyped]

        out = z3types.Ast(0)
        ctx = model.ctx.ref()
        z3core.Z3_model_eval(ctx, model.model, formula.as_ast(), True, ctypes.byref(out))
        return bool(z3core.Z3_get_bool_value(ctx, out) == z3core.Z3_L_TRUE)

    def answers(self, model: Any, prime: str | None = None) -> dict[str, object]:
        """The complete answer set a model describes, in question-set order.

        Integers are read by bisecting their chain of threshold literals, so
        a question with hundreds of thresholds costs a handful of look-ups.
        """

        def true(q: Question, part: str = "") -> bool:
            lit = self.atom(self._lit(q.id, part, q.id == prime))
            return self.truth(model, lit)

        out: dict[str, object] = {}
        for q in self.questions.values():
            if q.type == "boolean":
                out[q.id] = true(q)
            elif q.type == "integer":
                cuts = self.cuts[q.id]
                low, high = 0, len(cuts)  # the chain makes "q >= cut" true for a prefix
                while low < high:
                    mid = (low + high) // 2
                    if true(q, str(cuts[mid])):
                        low = mid + 1
                    else:
                        high = mid
                value = cuts[low - 1] if low else self.bounds[q.id][0]
                upper = cuts[low] if low < len(cuts) else self.bounds[q.id][1] + 1
                typical = q.example_answer  # any value of the interval meets the same conditions
                out[q.id] = typical if isinstance(typical, int) and value <= typical < upper else value
            else:
                codes = self.choices[q.id]
                out[q.id] = next((c for c in codes if true(q, c)), codes[0])
        return out

    def assignment(self, answers: Mapping[str, object]) -> list[Any]:
        """Literals fixing every question to ``answers`` (an absent optional = no)."""
        lits = []
        for q in self.questions.values():
            value = answers.get(q.id, False if not q.required else None)
            if value is None:
                raise KeyError(f"no answer for {q.id!r}")
            if q.type == "boolean":
                lits.append(self.signed(self._lit(q.id), value is True))
            elif q.type == "integer":
                n = int(str(value))
                lits += [self.signed(self._lit(q.id, str(t)), n >= t) for t in self.cuts[q.id]]
            else:
                lits += [self.signed(self._lit(q.id, c), value == c) for c in self.choices[q.id]]
        return lits


def _bounds(q: Question) -> tuple[int, int]:
    """An integer question's range (the loader requires both limits)."""
    return (q.minimum if q.minimum is not None else -(2**31), q.maximum if q.maximum is not None else 2**31)
