"""A hand-written assess for today's content: the floor that generated code is measured against.

It makes the same input checks (types, ranges, choices, unknown and missing
answers) and the same decisions as ``Guidance.assess`` on the shipped
content, written out by hand as straight Python, and picks the same
precomputed result parts.  It exists only to show how close the generated
engine comes; ``check_agrees`` proves on every benchmark run that it decides
exactly as the engine does, so a content change that it no longer matches is
reported instead of measured.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kneeguide.guidance import Guidance

_BOOLEANS = [
    "pain_limits_daily_activities", "wakes_from_sleep", "visible_swelling", "bruising", "one_calf_swollen",
    "calf_red_warm_or_tender", "recent_immobility_surgery_or_travel", "chest_pain_or_breathless",
    "cannot_bear_weight", "numbness_tingling_or_weakness", "leg_cold_pale_or_blue", "dark_urine", "fever",
    "joint_hot_and_swollen", "calf_pain_walking_eases_rest", "new_medicine_recent", "has_diabetes",
    "reduced_skin_sensation", "poor_circulation", "broken_skin_at_site", "chronic_knee_condition",
    "about_to_exercise", "pregnant",
]  # fmt: skip
_URGENCY = ("self_care", "soon", "urgent", "emergency")


def make_floor(g: Guidance) -> tuple[Callable[[dict[str, Any]], Any], Callable[[dict[str, Any]], str]]:
    """``floor(answers)`` -> (urgency, red flags, thermal, relief, prevention) and ``floor_json``."""
    p = g.engine.parts
    flags = {r.id: r for r in p.flags}
    thermal = {t.rule: t for t in p.thermal}
    steps = {s.id: s for s in (*p.relief, *p.prevention)}
    fj = dict(zip(flags, p.flag_json, strict=True))
    tj = dict(zip(thermal, p.thermal_json, strict=True))
    sj = dict(zip(steps, (*p.relief_json, *p.prevention_json), strict=True))
    muscles = frozenset(("calf", "hamstring", "quadriceps", "unsure"))
    triggers = frozenset(("exercise", "heavy_lifting", "injury", "sleep", "rest", "unknown"))
    booleans = tuple(_BOOLEANS)

    def decide(a: dict[str, Any]) -> tuple[int, list[str], str, list[str], list[str]]:
        if type(a) is not dict:
            raise ValueError("answers must be a dict")
        a = a.copy()
        try:
            age, muscle, trigger = a["age_years"], a["muscle"], a["trigger"]
            hours, minutes, weeks, pain = (
                a["hours_since_onset"],
                a["episode_minutes"],
                a["weeks_with_symptoms"],
                a["pain_score"],
            )
            b = [a[k] for k in booleans]
        except KeyError:
            raise ValueError("a required answer is missing") from None
        sedentary = a.get("sedentary", False)
        heavy = a.get("high_body_weight", False)
        if not (
            len(a) == 30 + ("sedentary" in a) + ("high_body_weight" in a)
            and type(age) is int
            and 0 <= age <= 120
            and type(hours) is int
            and 0 <= hours <= 8760
            and type(minutes) is int
            and 0 <= minutes <= 1440
            and type(weeks) is int
            and 0 <= weeks <= 520
            and type(pain) is int
            and 0 <= pain <= 10
            and type(muscle) is str
            and muscle in muscles
            and type(trigger) is str
            and trigger in triggers
            and all(v is True or v is False for v in b)
            and (sedentary is True or sedentary is False)
            and (heavy is True or heavy is False)
        ):
            raise ValueError("a bad answer")
        (limits, wakes, swelling, bruising, calf_swollen, calf_red, _immobile, chest, cannot_bear, numb, cold,
         dark, fever, hot_joint, claudication, new_med, diabetes, skin, circulation, broken, chronic,
         about_to_exercise, pregnant) = b  # fmt: skip
        injured = trigger == "injury" or trigger == "heavy_lifting"
        pe, ischaemia = chest, cold
        compartment = injured and pain >= 8 and swelling and numb
        dvt = calf_swollen or calf_red
        infection = fever and (swelling or calf_red or broken)
        fired = [
            ("possible_pulmonary_embolism", pe, 3),
            ("acute_limb_ischaemia", ischaemia, 3),
            ("possible_compartment_syndrome", compartment, 3),
            ("rhabdomyolysis", dark, 2),
            ("possible_dvt", dvt, 2),
            ("hot_swollen_joint", hot_joint, 2),
            ("possible_leg_infection", infection, 2),
            ("cannot_bear_weight_after_injury", cannot_bear and injured, 2),
            ("numbness_or_weakness", numb, 1),
            ("cramp_longer_than_10_minutes", minutes > 10, 1),
            ("cramps_disturb_sleep", wakes, 1),
            ("possible_claudication", claudication, 1),
            ("new_medicine_possible_cause", new_med, 1),
            ("persistent_symptoms", weeks >= 4, 1),
            ("swelling_or_bruising", swelling or bruising, 1),
            ("pain_stops_daily_life", limits or cannot_bear, 1),
        ]
        red = [f for f, hit, _ in fired if hit]
        level = max((lv for _, hit, lv in fired if hit), default=0)
        early_injury = injured and hours <= 72
        if cold:
            rule = "cold_pale_leg_no_ice_or_heat"
        elif compartment:
            rule = "compartment_signs_no_ice_or_heat"
        elif dvt or pe:
            rule = "clot_signs_no_ice_or_heat"
        elif hot_joint or infection:
            rule = "hot_joint_no_ice_or_heat"
        elif skin or circulation or broken:
            rule = "skin_or_circulation_ask_first"
        elif early_injury and level <= 2:
            rule = "acute_injury_ice"
        elif (swelling or bruising) and level <= 1:
            rule = "swelling_or_bruising_ice"
        elif chronic and about_to_exercise and level <= 1:
            rule = "chronic_warm_up_heat"
        elif chronic and (trigger == "exercise" or trigger == "heavy_lifting") and level <= 1:
            rule = "chronic_flare_ice"
        elif trigger != "injury" and trigger != "heavy_lifting":
            rule = "plain_cramp_no_ice_or_heat"
        else:
            rule = "default_no_ice_or_heat"
        calf = muscle == "calf" or muscle == "unsure"
        night = wakes or trigger == "sleep"
        relief = []
        prevention = []
        if level <= 1:
            if calf:
                relief.append("relief_stretch_calf")
            if muscle == "hamstring":
                relief.append("relief_stretch_hamstring")
            if muscle == "quadriceps":
                relief.append("relief_stretch_quadriceps")
            if not (dvt or ischaemia or pe or compartment or broken or early_injury):
                relief.append("relief_massage")
            if not (cannot_bear or cold or chest or compartment):
                relief.append("relief_walk_it_off")
        if level <= 2 and (swelling or injured) and not cold and not compartment:
            relief.append("relief_raise_leg")
        if level <= 1:
            relief += ["relief_pain_relief_after", "relief_rest"]
            for step, hit in (
                ("prevent_calf_stretch", calf or night),
                ("prevent_hamstring_stretch", muscle == "hamstring" or night),
                ("prevent_quadriceps_stretch", muscle == "quadriceps"),
                ("prevent_night_bedtime_stretch", night),
                ("prevent_night_sleep_position", night),
                ("prevent_older_adult_active", age >= 65),
                ("prevent_exercise_build_up", trigger == "exercise"),
                ("prevent_low_impact_activity", sedentary),
                ("prevent_healthy_weight", heavy),
                ("prevent_pregnancy", pregnant),
            ):
                if hit:
                    prevention.append(step)
        if level <= 2 and new_med:
            prevention.append("prevent_medicine_review")
        if level <= 1:
            if chronic:
                prevention.append("prevent_knee_strengthening")
            if diabetes:
                prevention.append("prevent_diabetes_review")
            prevention += ["prevent_relaxation", "prevent_food_and_drink_general"]
        return level, red, rule, relief, prevention

    def floor(a: dict[str, Any]) -> Any:
        level, red, rule, relief, prevention = decide(a)
        return (
            _URGENCY[level],
            tuple(flags[f] for f in red),
            thermal[rule],
            tuple(steps[s] for s in relief),
            tuple(steps[s] for s in prevention),
        )

    def floor_json(a: dict[str, Any]) -> str:
        """The result's JSON without the trace (which the floor does not explain)."""
        level, red, rule, relief, prevention = decide(a)
        return "".join(
            (
                p.head,
                p.urgencies[level],
                ', "red_flags": [',
                ", ".join([fj[f] for f in red]),
                '], "thermal": ',
                tj[rule],
                ', "relief": [',
                ", ".join([sj[s] for s in relief]),
                '], "prevention": [',
                ", ".join([sj[s] for s in prevention]),
                "]",
                p.tail,
            )
        )

    return floor, floor_json


def check_agrees(g: Guidance, floor: Callable[[dict[str, Any]], Any], sets: Sequence[dict[str, Any]]) -> None:
    """Raise unless the floor decides exactly as ``assess`` on every answer set."""
    for a in sets:
        got = g.assess(a)
        want = (got.urgency, got.red_flags, got.thermal, got.relief, got.prevention)
        if floor(a) != want:
            raise AssertionError(f"the floor function no longer matches the content on {a}")
