"""Pictures: each step's figure names a pose that exists and says in words what it shows.

A step that shows a stretch, a position or an exercise needs a picture, and
every picture needs alt text, because a person who cannot see it must get the
same advice.  A pose may only name parts the figure has, each prop has the
fields its kind needs, and the figure stays inside the picture: a pose that
runs off the edge would be drawn cut off, and no author would see why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ..figures import HEAD_RADIUS, HEIGHT, PARTS, PROP_FIELDS, WIDTH, Pose, joints
from ..hints import did_you_mean

if TYPE_CHECKING:
    from ..models import Step
    from .core import Checker

__all__ = ["check_figures"]

_F = "figures.yaml"
_MARGIN = 1.0
"""How near the edge a point may come: the lines are drawn with a width."""


def check_figures(ctx: Checker, poses: Sequence[Pose], steps: Mapping[str, Sequence[Step]]) -> None:
    """Poses are well formed and inside the picture; steps' figures name them and have alt text."""
    for i, each in enumerate(poses):
        _check_pose(ctx, i, each)
    by_id = {p.id: p for p in poses}
    for fname, items in steps.items():
        for i, step in enumerate(items):
            path: tuple[str | int, ...] = ("steps", i)
            figure = step.figure
            if figure is None:
                if step.shows is not None:
                    ctx.error(
                        fname,
                        (*path, "shows"),
                        f"the step shows a {step.shows} but has no figure; "
                        "add 'figure: {pose: ...}' with a pose from figures.yaml",
                        code="figure-missing",
                    )
                continue
            pose = by_id.get(figure.pose)
            if pose is None:
                known = f" (poses: {', '.join(sorted(by_id))})" if by_id else " (there is no figures.yaml)"
                ctx.error(
                    fname,
                    (*path, "figure", "pose"),
                    f"unknown pose {figure.pose!r}{did_you_mean(figure.pose, by_id)}{known}",
                    code="figure-unknown-pose",
                )
            elif figure.alt is None and pose.alt is None:
                ctx.error(
                    fname,
                    (*path, "figure"),
                    f"the figure has no alt text, and neither has pose {pose.id!r}; "
                    "add 'alt:' saying in plain words what the picture shows",
                    code="figure-no-alt",
                )


def _check_pose(ctx: Checker, i: int, pose: Pose) -> None:
    path: tuple[str | int, ...] = ("poses", i)
    for j, part in enumerate(pose.highlight):
        _known_part(ctx, (*path, "highlight", j), part)
    for k, prop in enumerate(pose.props):
        where = (*path, "props", k)
        need = PROP_FIELDS[prop.kind]
        for name in ("x", "y", "width", "between"):
            given = getattr(prop, name) is not None
            if given and name not in need:
                ctx.error(_F, (*where, name), f"a {prop.kind} has no {name!r}", key=True, code="figure-prop")
            elif not given and name in need:
                ctx.error(_F, where, f"a {prop.kind} needs {name!r}", code="figure-prop")
        if prop.between is not None:
            if len(prop.between) != 2:
                ctx.error(
                    _F, (*where, "between"), "a towel joins the ends of exactly two parts", code="figure-prop"
                )
            for j, part in enumerate(prop.between):
                _known_part(ctx, (*where, "between", j), part)
    for part, (x, y) in joints(pose).items():
        r = HEAD_RADIUS if part == "head" else 0.0
        if not (_MARGIN + r <= x <= WIDTH - _MARGIN - r and _MARGIN + r <= y <= HEIGHT - _MARGIN - r):
            ctx.error(
                _F,
                (*path, "hip") if part == "hip" else (*path, "angles", part),
                f"the {part.replace('_', ' ')} ends at ({x:g}, {y:g}), outside the {WIDTH} x {HEIGHT} "
                "picture; move the hip or change the angles",
                code="figure-outside",
            )


def _known_part(ctx: Checker, path: tuple[str | int, ...], part: str) -> None:
    if part not in PARTS:
        ctx.error(
            _F,
            path,
            f"unknown part {part!r}{did_you_mean(part, PARTS)} (parts: {', '.join(PARTS)})",
            code="figure-unknown-part",
        )
