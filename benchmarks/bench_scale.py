"""The shipped content at ``k`` times its size: every red flag, thermal rule and step ``k`` times.

Copy ``i`` of an item gets the id ``<id>_x<i>`` (copy 0 keeps the original,
so hazards, conflicts and invariants still resolve), the same text and
condition, and thermal copies get distinct priorities in the same order.
``scaled`` builds it in memory, from the validated guidance.
"""

from __future__ import annotations

import copy
from typing import Any

_LISTS = {
    "red_flags.yaml": "red_flags",
    "thermal.yaml": "rules",
    "relief.yaml": "steps",
    "prevention.yaml": "steps",
}


def _copies(items: list[dict[str, Any]], k: int, thermal: bool) -> list[dict[str, Any]]:
    out = []
    for item in items:
        for i in range(k):
            c = copy.deepcopy(item)
            if i:
                c["id"] = f"{item['id']}_x{i}"
            if thermal:
                c["priority"] = item["priority"] * k + (k - 1 - i)
            out.append(c)
    return out


def scaled(k: int) -> Any:
    """The shipped guidance ``k`` times over, in memory.

    Built from the validated guidance rather than written as files: at 64
    times, three files would pass the loader's 512 KiB limit per file.
    """
    import dataclasses

    import kneeguide

    g = kneeguide.load()
    if k == 1:
        return g
    data = {name: copy.deepcopy(value) for name, value in g.data.items()}
    for name, key in _LISTS.items():
        data[name][key] = _copies(data[name][key], k, name == "thermal.yaml")
    conditions, source = dict(g.conditions), dict(g.source_conditions)

    def items(models: Any, thermal: bool) -> tuple[Any, ...]:
        out = []
        for m in models:
            for i in range(k):
                update: dict[str, Any] = {"id": f"{m.id}_x{i}"} if i else {}
                if thermal:
                    update["priority"] = m.priority * k + (k - 1 - i)
                out.append(m.model_copy(update=update))
                conditions[out[-1].id], source[out[-1].id] = g.conditions[m.id], g.source_conditions[m.id]
        return tuple(out)

    return dataclasses.replace(
        g,
        red_flags=items(g.red_flags, False),
        thermal_rules=items(g.thermal_rules, True),
        relief=items(g.relief, False),
        prevention=items(g.prevention, False),
        conditions=conditions,
        source_conditions=source,
        data=data,
    )
