"""Draw a step's figure as SVG: one stick figure in a pose from the content.

The leaflets and the plan show a picture beside each stretch and position.
The picture is drawn here from the pose's data (``kneeguide.figures``: the
angle of each part of one figure whose proportions never change), so every
picture is the same person drawn the same way, and the same pose gives the
same bytes on any machine: no clock, no randomness, every number rounded to
0.1 unit and written the same way.

The SVG is the accessible image the HTML and the PDF embed: ``role="img"``
with the alt text as its ``aria-label`` and ``<title>`` (no ``id``, so a page
may show the same picture twice), and every shape inside marked
``aria-hidden="true"``: the lines are decoration, the alt text is the
content.  It draws on its own light card with fixed colours, so it reads the
same in a dark page and in print.  It has no text, script, link or style
sheet, so it needs no font and loads nothing.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from kneeguide.figures import HEAD_RADIUS, HEIGHT, PARTS, WIDTH, Pose, Prop, joints, start

if TYPE_CHECKING:
    from kneeguide.guidance import Guidance

__all__ = ["NO_PICTURE", "Picture", "picture", "pictures", "svg"]

Picture = tuple[str, str]
"""A step's picture as ``(svg, alt)``; ``NO_PICTURE`` for a step without one."""
NO_PICTURE: Picture = ("", "")

_CARD = "#eef3f7"
_PROP_FILL = "#d3dbe3"
_PROP_LINE = "#7d8a97"
_FAR = "#8d99a6"
_BODY = "#1f3b57"
_HIGHLIGHT = "#c2410c"
_TOWEL = "#0f766e"
_LIMB = 4.2
_DRAW_ORDER = (
    *(p for p in PARTS if p.startswith("far_")),
    "torso",
    *(p for p in PARTS if p.startswith("near_")),
)
"""Far limbs behind the body, then the trunk (with the head), then the near limbs in front."""
_TORSO = 5.2


def svg(pose: Pose, alt: str) -> str:
    """The pose as one ``<svg>`` element, named by ``alt``; the same pose and alt give the same text."""
    at = joints(pose)
    label = escape(alt, quote=True)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{label}" class="figure">',
        f"<title>{label}</title>",
        f'<rect aria-hidden="true" width="{WIDTH}" height="{HEIGHT}" rx="6" fill="{_CARD}"/>',
        '<g aria-hidden="true" fill="none" stroke-linecap="round" stroke-linejoin="round">',
    ]
    parts += [_prop(p) for p in pose.props if p.kind != "towel"]
    highlight = set(pose.highlight)
    for part in _DRAW_ORDER:
        colour = _HIGHLIGHT if part in highlight else _FAR if part.startswith("far_") else _BODY
        width = _TORSO if part == "torso" else _LIMB
        parts.append(_line(at[start(part)], at[part], colour, width))
        if part == "torso":
            hx, hy = at["head"]
            head = _HIGHLIGHT if "head" in highlight else _BODY
            parts.append(f'<circle cx="{_n(hx)}" cy="{_n(hy)}" r="{_n(HEAD_RADIUS)}" fill="{head}"/>')
    for p in pose.props:
        if p.kind == "towel" and p.between:
            a, b = p.between
            parts.append(_line(at[a], at[b], _TOWEL, 2.4))
    parts.append("</g></svg>")
    return "".join(parts)


def pictures(guidance: Guidance) -> dict[str, Picture]:
    """Every step's picture and alt text by step id (``NO_PICTURE`` for a step without a figure).

    Each distinct pose and alt text is drawn once, however many steps show
    it, and the steps are walked once: a leaflet shows every step, so looking
    each one up and drawing it again would cost time in proportion to the
    square of the steps.  The alt text is the step's own words, else the
    pose's; validated content guarantees the pose exists and one of the two
    has alt text.
    """
    drawn: dict[tuple[str, str], str] = {}
    out: dict[str, Picture] = {}
    for step in (*guidance.relief, *guidance.prevention):
        if step.id in out:
            continue
        if step.figure is None:
            out[step.id] = NO_PICTURE
            continue
        pose = guidance.poses[step.figure.pose]
        alt = step.figure.alt or pose.alt or ""
        key = (step.figure.pose, alt)
        if key not in drawn:
            drawn[key] = svg(pose, alt)
        out[step.id] = (drawn[key], alt)
    return out


def picture(guidance: Guidance, step_id: str) -> Picture:
    """The picture of step ``step_id`` and its alt text, or ``NO_PICTURE`` (see ``pictures``)."""
    return pictures(guidance).get(step_id, NO_PICTURE)


def _prop(p: Prop) -> str:
    x, y, w = p.x or 0.0, p.y or 0.0, p.width or 0.0
    box = f'fill="{_PROP_FILL}" stroke="{_PROP_LINE}" stroke-width="1"'
    if p.kind == "floor":
        return _line((4, y + 1), (WIDTH - 4, y + 1), _PROP_LINE, 2)
    if p.kind == "wall":
        return f'<rect x="{_n(x)}" y="4" width="6" height="{_n(y - 4)}" {box}/>'
    if p.kind == "chair":  # faces forward: the back rises behind the seat
        seat = y - 17
        return "".join(
            [
                _line((x - 15, seat), (x, seat), _PROP_LINE, 3),
                _line((x - 1.5, seat), (x - 1.5, y), _PROP_LINE, 2),
                _line((x - 13.5, seat), (x - 13.5, y), _PROP_LINE, 2),
                _line((x - 15, seat), (x - 16.5, seat - 19), _PROP_LINE, 3),
            ]
        )
    if p.kind == "bed":
        return (
            f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="8" rx="2" {box}/>'
            f'<rect x="{_n(x - 4)}" y="{_n(y - 12)}" width="4" height="26" {box}/>'
        )
    return f'<ellipse cx="{_n(x)}" cy="{_n(y)}" rx="9" ry="3.8" {box}/>'  # a pillow


def _line(a: tuple[float, float], b: tuple[float, float], colour: str, width: float) -> str:
    return (
        f'<line x1="{_n(a[0])}" y1="{_n(a[1])}" x2="{_n(b[0])}" y2="{_n(b[1])}" '
        f'stroke="{colour}" stroke-width="{_n(width)}"/>'
    )


def _n(value: float) -> str:
    """A number as SVG text, always the same way: at most one decimal, no ``-0``."""
    text = f"{round(value, 1) + 0.0:.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
