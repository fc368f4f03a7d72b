"""The decision model: every decision of a guidance as named definitions, built once.

The content gives each rule its own condition; what the guidance *decides*
also depends on how rules combine: the result's urgency is the highest red
flag that fired, one thermal rule decides by priority, and advice is gated by
urgency, by the red flags that withhold it and by scope.  Those combinations
are written here once, as condition trees over the questions and over each
other (``Ref`` nodes), in dependency order.  Every backend reads this model
and renders the trees in its own language: the engine as Python locals, the
interview three-valued, the solver as literals, FHIR as FHIRPath or CQL.  No
backend writes a combination again.

Names (stable: reports, exports and tests use them):

``red_flag:<id>``
    the red flag fires (its own condition).
``urgency:<level>``
    the result's urgency is at least ``level`` (``soon``, ``urgent``,
    ``emergency``): some red flag of that level or higher fires.
``out_of_scope``
    some scope exclusion fires: no self-care and no ice or heat.
``applies:<id>``
    a thermal rule's condition holds and its gate lets it be shown.
``above:<n>``
    some thermal rule of the ``n`` highest priorities applies.
``decides:<id>``
    the thermal rule decides: it applies and no higher rule does.
``shown:<id>``
    a relief or prevention step is shown: its condition holds and its gate
    lets it be shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .conditions import And, Compare, Condition, Const, Flag, Not, OneOf, Or, Ref

if TYPE_CHECKING:
    from .guidance import Guidance

__all__ = ["URGENCY_NAMES", "DecisionModel", "Definition", "Gate", "build"]

URGENCY_NAMES = ("self_care", "soon", "urgent", "emergency")
"""The urgency scale, lowest first (contracts.md section 2)."""


@dataclass(frozen=True)
class Gate:
    """When a piece of advice may be shown at all, whatever its own condition says."""

    max_urgency: str
    """The highest urgency of the result at which it is shown."""
    not_with: tuple[str, ...] = ()
    """Red flags that withhold it."""
    in_scope_only: bool = True
    """Withheld when a scope exclusion fires (self-care, ice and heat)."""


@dataclass(frozen=True)
class Definition:
    """One named decision: ``name`` holds exactly when ``expr`` holds."""

    name: str
    expr: Condition


@dataclass(frozen=True, eq=False)
class DecisionModel:
    """Every decision of one guidance, in dependency order (see the module docstring)."""

    definitions: tuple[Definition, ...]
    red_flags: tuple[str, ...]
    """Red flag ids in content order."""
    thermal: tuple[str, ...]
    """Thermal rule ids, highest priority first."""
    relief: tuple[str, ...]
    prevention: tuple[str, ...]
    flag_level: Mapping[str, int]
    """Each red flag's urgency as an index into ``URGENCY_NAMES``."""
    gates: Mapping[str, Gate]
    """The gate of every thermal rule and step."""
    ask_order: tuple[str, ...]
    """Question ids in the order an interview asks them."""
    _by_name: dict[str, Definition] = field(default_factory=dict, repr=False)
    _deps: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    _expanded: dict[str, Condition] = field(default_factory=dict, repr=False)
    _rules_above: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for d in self.definitions:
            self._by_name[d.name] = d
            self._deps[d.name] = _reads(d.expr, self._deps)

    # -- the names of what the guidance selects -------------------------------------------

    @staticmethod
    def fires(flag_id: str) -> str:
        return f"red_flag:{flag_id}"

    @staticmethod
    def decides(rule_id: str) -> str:
        return f"decides:{rule_id}"

    @staticmethod
    def applies(rule_id: str) -> str:
        return f"applies:{rule_id}"

    @staticmethod
    def shown(step_id: str) -> str:
        return f"shown:{step_id}"

    @staticmethod
    def urgency_at_least(level: int) -> str:
        return f"urgency:{URGENCY_NAMES[level]}"

    def selected(self, item_id: str) -> str:
        """The definition that says whether the item (red flag, thermal rule or step) is given."""
        if item_id in self.flag_level:
            return self.fires(item_id)
        if item_id in self.thermal:
            return self.decides(item_id)
        return self.shown(item_id)

    def outputs(self) -> Iterator[str]:
        """What a result is made of, in ``Guidance.rules()`` order, then what the trace reads."""
        yield from (self.fires(f) for f in self.red_flags)
        yield from (self.decides(r) for r in self.thermal)
        yield from (self.shown(s) for s in (*self.relief, *self.prevention))
        yield from (self.applies(r) for r in self.thermal)

    def given(
        self, item_id: str, together: Callable[[str, tuple[str, ...]], Set[str]] | None = None
    ) -> tuple[bool, tuple[str, ...], tuple[str, ...]]:
        """When the item is given on answers read three-valued: ``(needs_open, certain, not_certain)``.

        The item is given when every definition in ``certain`` is certainly
        true, none in ``not_certain`` is, and, if ``needs_open``, the answers
        are complete or an emergency is certain (``urgency:emergency`` is
        true).  With complete answers every definition is two-valued and this
        is exactly ``selected(item_id)``.  With answers missing it gives what
        is certain whatever they are, as the interview does at an emergency:
        a red flag that certainly fires; ice or heat only at a certain
        emergency, from the highest rule that certainly applies; a step only
        if it is certainly shown (at an emergency none is).

        A thermal rule's ``not_certain`` is the ``above`` definition of the
        higher rules (linear to render by name).  ``together(rule, higher)``,
        the higher rules that can apply at the same time as ``rule`` (a
        solver proves the others never do), lists instead only their
        ``applies`` definitions: the others are false whenever this one applies.
        """
        if item_id in self.flag_level:
            return False, (self.fires(item_id),), ()
        if item_id not in self.thermal:
            return True, (self.shown(item_id),), ()
        mine = self.applies(item_id)
        expr = self[self.decides(item_id)].expr
        if not isinstance(expr, And):
            return True, (mine,), ()
        higher = expr.operands[1]
        assert isinstance(higher, Not) and isinstance(higher.operand, Ref)
        if together is None:
            return True, (mine,), (higher.operand.name,)
        rules = self._above(higher.operand.name)
        kept = together(item_id, rules)
        return True, (mine,), tuple(self.applies(r) for r in rules if r in kept)

    def _above(self, name: str) -> tuple[str, ...]:
        """The thermal rules an ``above`` definition reads, highest first.

        Read from the ``above`` chain, each link once: every rule asks for
        the chain above it, and walking it from the top for each would cost
        the square of the rules.
        """
        done = self._rules_above.get(name)
        if done is not None:
            return done
        chain: list[str] = []
        node: Condition = Ref(name)
        while isinstance(node, Ref) and node.name not in self._rules_above:
            chain.append(node.name)  # down the chain to a link already read, or its end
            expr = self[node.name].expr
            node = expr.operands[0] if isinstance(expr, Or) and _is_above(expr.operands[0]) else Const(False)
        rules = self._rules_above[node.name] if isinstance(node, Ref) else ()
        for link in reversed(chain):
            expr = self[link].expr
            group = expr.operands[1:] if isinstance(expr, Or) and _is_above(expr.operands[0]) else (expr,)
            mine: list[str] = []
            for part in group:
                refs = part.operands if isinstance(part, Or) else (part,)
                mine += [r.name for r in refs if isinstance(r, Ref)]
            rules = self._rules_above[link] = rules + tuple(n.removeprefix("applies:") for n in mine)
        return rules

    # -- reading the model ----------------------------------------------------------------

    def __getitem__(self, name: str) -> Definition:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def questions_read(self, name: str) -> frozenset[str]:
        """Every question the definition depends on, through the definitions it refers to."""
        return self._deps[name]

    def expanded(self, name: str) -> Condition:
        """The definition with every reference replaced by what it names (for FHIRPath, English)."""
        done = self._expanded.get(name)
        if done is None:
            done = self._expanded[name] = _expand(self._by_name[name].expr, self.expanded)
        return done


def _is_above(node: Condition) -> bool:
    return isinstance(node, Ref) and node.name.startswith("above:")


def _reads(node: Condition, deps: Mapping[str, frozenset[str]]) -> frozenset[str]:
    if isinstance(node, Flag | Compare | OneOf):
        return frozenset((node.question,))
    if isinstance(node, Ref):
        return deps[node.name]
    if isinstance(node, Not):
        return _reads(node.operand, deps)
    if isinstance(node, And | Or):
        return frozenset().union(*(_reads(c, deps) for c in node.operands))
    return frozenset()


def _expand(node: Condition, lookup: Callable[[str], Condition]) -> Condition:
    if isinstance(node, Ref):
        return lookup(node.name)
    if isinstance(node, Not):
        return Not(_expand(node.operand, lookup))
    if isinstance(node, And):
        return And(tuple(_expand(c, lookup) for c in node.operands))
    if isinstance(node, Or):
        return Or(tuple(_expand(c, lookup) for c in node.operands))
    return node


def _any(names: Sequence[str]) -> Condition:
    if not names:
        return Const(False)
    refs = tuple(Ref(n) for n in names)
    return refs[0] if len(refs) == 1 else Or(refs)


def _gated(condition: Condition, gate: Gate, level_names: Sequence[str]) -> Condition:
    """``condition`` and not withheld by ``gate``."""
    blockers: list[str] = []
    top = URGENCY_NAMES.index(gate.max_urgency)
    if top + 1 < len(URGENCY_NAMES):
        blockers.append(level_names[top + 1])
    blockers += [DecisionModel.fires(f) for f in gate.not_with]
    if gate.in_scope_only:
        blockers.append("out_of_scope")
    if not blockers:
        return condition
    withheld = _any(blockers)
    return And((condition, Not(withheld)))


def build(guidance: Guidance) -> DecisionModel:
    """The decision model of ``guidance`` (``Guidance.decisions`` caches it)."""
    g = guidance
    defs: list[Definition] = []
    flag_level = {rf.id: URGENCY_NAMES.index(rf.urgency) for rf in g.red_flags}
    for rf in g.red_flags:
        defs.append(Definition(DecisionModel.fires(rf.id), g.conditions[rf.id]))
    level_names = [DecisionModel.urgency_at_least(k) if k else "" for k in range(len(URGENCY_NAMES))]
    for level in range(1, len(URGENCY_NAMES)):
        flags = [DecisionModel.fires(f) for f, lv in flag_level.items() if lv >= level]
        defs.append(Definition(level_names[level], _any(flags)))
    scope = [DecisionModel.fires(rf.id) for rf in g.red_flags if rf.out_of_scope]
    defs.append(Definition("out_of_scope", _any(scope)))

    gates: dict[str, Gate] = {}
    ordered = g.thermal_by_priority()
    for tr in ordered:
        gates[tr.id] = Gate(tr.max_urgency, tuple(tr.not_with), in_scope_only=tr.advice != "none")
        defs.append(
            Definition(DecisionModel.applies(tr.id), _gated(g.conditions[tr.id], gates[tr.id], level_names))
        )
    # The priority hit policy: rules of one priority form a group (validate
    # refuses equal priorities, verify reports them); a rule decides when it
    # applies and no rule of a higher group does.
    higher: Condition = Const(False)
    groups: list[list[str]] = []
    last: int | None = None
    for tr in ordered:
        if tr.priority != last:
            groups.append([])
            last = tr.priority
        groups[-1].append(tr.id)
    for n, group in enumerate(groups):
        for rid in group:
            mine = Ref(DecisionModel.applies(rid))
            expr = mine if higher == Const(False) else And((mine, Not(higher)))
            defs.append(Definition(DecisionModel.decides(rid), expr))
        parts = tuple(Ref(DecisionModel.applies(r)) for r in group)
        group_applies: Condition = parts[0] if len(parts) == 1 else Or(parts)
        above = group_applies if higher == Const(False) else Or((higher, group_applies))
        defs.append(Definition(f"above:{n}", above))
        higher = Ref(f"above:{n}")

    for st in (*g.relief, *g.prevention):
        gates[st.id] = Gate(st.max_urgency, tuple(st.not_with))
        defs.append(
            Definition(DecisionModel.shown(st.id), _gated(g.conditions[st.id], gates[st.id], level_names))
        )

    return DecisionModel(
        definitions=tuple(defs),
        red_flags=tuple(rf.id for rf in g.red_flags),
        thermal=tuple(tr.id for tr in ordered),
        relief=tuple(st.id for st in g.relief),
        prevention=tuple(st.id for st in g.prevention),
        flag_level=flag_level,
        gates=gates,
        ask_order=tuple(g.ask_order),
    )
