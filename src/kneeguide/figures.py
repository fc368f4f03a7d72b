"""Pictures of the stretches and positions, as data: poses of one stick figure.

People would rather look than read to learn a stretch, so a step can carry a
figure.  A figure is not a drawing anyone made by hand: it is a *pose* in
``figures.yaml``, the angle of each body part of one figure whose
proportions never change, plus the props it uses (floor, wall, chair, bed,
pillow, towel).  Every picture is then the same person drawn the same way,
an author changes a picture by changing numbers that ``validate`` checks,
and the exporters draw it (``kneeguide_exporters.figures``).

The picture is ``WIDTH`` x ``HEIGHT`` units, ``y`` growing downward.  An angle
is in degrees clockwise from pointing forward (the way the figure faces):
0 is forward, 90 straight down, -90 straight up, 180 backward.  A part
starts where the part before it ends: the torso at the hip, the head and
both upper arms at the shoulder, each forearm at its elbow, each thigh at
the hip, each shin at its knee, each foot at its ankle.  ``near`` parts are
on the side toward the reader, ``far`` parts behind the body.

This module holds the models and the geometry, so the checks (a pose that
leaves the picture) and the renderer compute the same points once.
"""

from __future__ import annotations

import math
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "HEAD_RADIUS",
    "HEIGHT",
    "LENGTHS",
    "PARTS",
    "PROP_FIELDS",
    "WIDTH",
    "Angles",
    "FigureRef",
    "FiguresFile",
    "Pose",
    "Prop",
    "joints",
]

WIDTH: Final = 120
HEIGHT: Final = 90
HEAD_RADIUS: Final = 5.5

LENGTHS: Final[dict[str, float]] = {
    "torso": 25.0,
    "head": 2.5 + HEAD_RADIUS,  # the neck, to the centre of the head
    "upper_arm": 13.0,
    "forearm": 12.0,
    "thigh": 19.0,
    "shin": 18.0,
    "foot": 6.5,
}
"""How long each part is: one figure, the same in every picture."""

_CHAIN: Final[dict[str, str]] = {
    "torso": "hip",
    "head": "torso",
    "near_upper_arm": "torso",
    "near_forearm": "near_upper_arm",
    "far_upper_arm": "torso",
    "far_forearm": "far_upper_arm",
    "near_thigh": "hip",
    "near_shin": "near_thigh",
    "near_foot": "near_shin",
    "far_thigh": "hip",
    "far_shin": "far_thigh",
    "far_foot": "far_shin",
}
"""Each part and the part whose end it starts at (``hip`` is the pose's root point)."""

PARTS: Final[tuple[str, ...]] = tuple(_CHAIN)
"""Every part of the figure, in drawing order from the trunk outward."""

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Degrees = Annotated[float, Field(ge=-360, le=360)]
Coordinate = Annotated[float, Field(ge=0, le=max(WIDTH, HEIGHT))]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Point(_Model):
    x: Coordinate
    y: Coordinate


class Angles(_Model):
    """The direction of each part, in degrees clockwise from pointing forward."""

    torso: Degrees
    head: Degrees
    near_upper_arm: Degrees
    near_forearm: Degrees
    far_upper_arm: Degrees
    far_forearm: Degrees
    near_thigh: Degrees
    near_shin: Degrees
    near_foot: Degrees
    far_thigh: Degrees
    far_shin: Degrees
    far_foot: Degrees


PropKind = Literal["floor", "wall", "chair", "bed", "pillow", "towel"]

PROP_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "floor": ("y",),
    "wall": ("x", "y"),
    "chair": ("x", "y"),
    "bed": ("x", "y", "width"),
    "pillow": ("x", "y"),
    "towel": ("between",),
}
"""The fields each kind of prop needs, and the only ones it may have."""


class Prop(_Model):
    """Something the figure uses: where it is, in the picture's units."""

    kind: PropKind = Field(
        description="floor (y: its top), wall (x: its face, y: the floor), chair (x: the front of "
        "the seat, y: the floor; faces forward), bed (x, y: the top left corner of the mattress, "
        "width), pillow (x, y: its centre), towel (between: the ends of two parts it joins)."
    )
    x: Coordinate | None = None
    y: Coordinate | None = None
    width: Coordinate | None = None
    between: list[Id] | None = Field(
        default=None, description="Two parts whose ends the towel joins, e.g. [near_forearm, near_foot]."
    )


class Pose(_Model):
    id: Id
    alt: Text | None = Field(
        default=None,
        description="What the picture shows, in plain words, for people who cannot see it. "
        "A step's figure may say it in its own words instead.",
    )
    hip: Point = Field(description="Where the hip is in the picture.")
    angles: Angles
    highlight: list[Id] = Field(
        default_factory=list, description="The parts drawn in colour: the muscle that stretches."
    )
    props: list[Prop] = Field(default_factory=list)


class FiguresFile(_Model):
    poses: list[Pose] = Field(min_length=1)


class FigureRef(_Model):
    """A step's picture: a pose from figures.yaml, and what it shows in words."""

    pose: Id = Field(description="The id of a pose in figures.yaml.")
    alt: Text | None = Field(
        default=None,
        description="What the picture shows, in plain words (instead of the pose's own alt text).",
    )


def joints(pose: Pose) -> dict[str, tuple[float, float]]:
    """Where each part ends (and ``hip`` where the legs and torso start), in picture units.

    The head's point is the centre of the head.  Rounded to 0.1 unit, so the
    pictures drawn from it are the same bytes wherever they are drawn.
    """
    at: dict[str, tuple[float, float]] = {"hip": (pose.hip.x, pose.hip.y)}
    for part, parent in _CHAIN.items():
        x, y = at[parent]
        angle = math.radians(getattr(pose.angles, part))
        length = LENGTHS[part.removeprefix("near_").removeprefix("far_")]
        at[part] = (round(x + length * math.cos(angle), 1), round(y + length * math.sin(angle), 1))
    return at


def start(part: str) -> str:
    """The point a part starts at: ``hip`` or the part it hangs from."""
    return _CHAIN[part]
