"""A hand-written assess for today's content: the floor that generated code is measured against.

It makes the same input checks (types, ranges, choices, unknown and missing
answers) and the same decisions as ``Guidance.assess`` on the shipped
content (red flags and their urgency, scope, the thermal rule that decides,
gated relief and prevention), written out by hand as straight Python, and
picks the same precomputed result parts (``g.engine.parts``).  It exists only
to show how close the generated engine comes; ``check_agrees`` proves on
every benchmark run that it decides exactly as the engine does, and refuses
what the engine refuses, so a content change that it no longer matches is
reported instead of measured.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import compress
from operator import itemgetter
from typing import Any

from kneeguide.guidance import Guidance

_INTEGERS = {
    "age_years": 120, "hours_since_onset": 8760, "episode_minutes": 1440, "weeks_with_symptoms": 520,
    "pain_score": 10,
}  # fmt: skip
_CHOICES = {
    "muscle": ("calf", "hamstring", "quadriceps", "unsure"),
    "trigger": ("exercise", "heavy_lifting", "injury", "sleep", "rest", "unknown"),
}
_BOOLEANS = (
    "pain_limits_daily_activities", "wakes_from_sleep", "visible_swelling", "bruising", "one_calf_swollen",
    "calf_red_warm_or_tender", "recent_immobility_surgery_or_travel", "chest_pain_or_breathless",
    "cannot_bear_weight", "numbness_tingling_or_weakness", "leg_cold_pale_or_blue", "dark_urine", "fever",
    "joint_hot_and_swollen", "calf_pain_walking_eases_rest", "new_medicine_recent", "has_diabetes",
    "reduced_skin_sensation", "poor_circulation", "broken_skin_at_site", "chronic_knee_condition",
    "about_to_exercise", "pregnant", "sudden_severe_pain", "pop_or_deformity", "feels_very_unwell",
    "hard_exertion_recently", "takes_blood_thinner", "wound_tetanus_risk", "knee_surgery_last_12_weeks",
    "known_nerve_or_muscle_disease",
)  # fmt: skip
_OPTIONAL = ("sedentary", "high_body_weight")
_REQUIRED = len(_INTEGERS) + len(_CHOICES) + len(_BOOLEANS)

# The content the decisions below were written for, in content order (red
# flags: 6 emergency, 20 urgent, 12 soon of which the first 3 are out of scope).
_FLAGS = (
    "possible_pulmonary_embolism", "acute_limb_ischaemia", "sudden_pain_numb_or_weak_leg",
    "injury_numbness_or_weakness", "possible_compartment_syndrome", "very_unwell_with_fever_or_dark_urine",
    "rhabdomyolysis", "possible_muscle_breakdown", "possible_dvt", "clot_risk_with_leg_symptoms",
    "hot_swollen_joint", "possible_leg_infection", "very_unwell", "sudden_severe_leg_pain",
    "pop_snap_or_deformity", "cannot_bear_weight_after_injury", "cannot_bear_weight_no_injury",
    "severe_pain_with_swelling_after_injury", "numbness_with_swelling", "older_adult_knee_injury",
    "blood_thinner_with_swelling_or_bruising", "cramp_longer_than_10_minutes", "possible_tetanus_wound",
    "diabetes_with_wound", "child_under_3", "child_limp_or_fever", "scope_under_16",
    "scope_recent_knee_surgery", "scope_nerve_or_muscle_disease", "numbness_or_weakness",
    "cramps_disturb_sleep", "possible_claudication", "new_medicine_possible_cause", "persistent_symptoms",
    "strain_or_tear", "swelling_or_bruising", "pain_stops_daily_life", "wound_with_poor_circulation",
)  # fmt: skip
_THERMAL = (
    "cold_pale_leg_no_ice_or_heat", "compartment_signs_no_ice_or_heat", "clot_signs_no_ice_or_heat",
    "muscle_damage_no_heat", "hot_joint_no_ice_or_heat", "skin_or_circulation_ask_first", "acute_injury_ice",
    "swelling_or_bruising_ice", "chronic_warm_up_heat", "chronic_flare_ice", "plain_cramp_no_ice_or_heat",
    "default_no_ice_or_heat",
)  # fmt: skip
_RELIEF = (
    "relief_stretch_calf", "relief_stretch_hamstring", "relief_stretch_quadriceps", "relief_massage",
    "relief_walk_it_off", "relief_raise_leg", "relief_pain_relief_after", "relief_rest",
)  # fmt: skip
_PREVENTION = (
    "prevent_calf_stretch", "prevent_hamstring_stretch", "prevent_quadriceps_stretch",
    "prevent_night_bedtime_stretch", "prevent_night_sleep_position", "prevent_older_adult_active",
    "prevent_exercise_build_up", "prevent_low_impact_activity", "prevent_healthy_weight", "prevent_pregnancy",
    "prevent_medicine_review", "prevent_knee_strengthening", "prevent_diabetes_review", "prevent_relaxation",
    "prevent_food_and_drink_general",
)  # fmt: skip
_URGENCY = ("self_care", "soon", "urgent", "emergency")

Decision = tuple[int, tuple[bool, ...], int, tuple[bool, ...], tuple[bool, ...]]
"""(urgency level, which red flags fire, thermal rule index, relief shown, prevention shown)."""


def _decide(a: dict[str, Any]) -> Decision:
    """The checks and decisions of today's content, by hand; ``ValueError`` for refused answers."""
    if type(a) is not dict:
        raise ValueError("answers must be a dict")
    a = a.copy()  # one read, as the engine's snapshot
    try:
        age, hours, minutes, weeks, pain = _read_integers(a)
        muscle, trigger = a["muscle"], a["trigger"]
        b = _read_booleans(a)
    except KeyError:
        raise ValueError("a required answer is missing") from None
    sedentary, heavy = a.get("sedentary", False), a.get("high_body_weight", False)
    if len(a) != _REQUIRED + ("sedentary" in a) + ("high_body_weight" in a):
        raise ValueError("an unknown answer")
    if not (
        type(age) is int
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
        and muscle in _CHOICES["muscle"]
        and type(trigger) is str
        and trigger in _CHOICES["trigger"]
        and (sedentary is True or sedentary is False)
        and (heavy is True or heavy is False)
    ):
        raise ValueError("a bad answer")
    for v in b:
        if v is not True and v is not False:
            raise ValueError("a bad answer")
    (limits, wakes, swelling, bruising, calf_swollen, calf_red, immobile, chest, cannot_bear, numb, cold,
     dark, fever, hot_joint, claudication, new_med, diabetes, skin, circulation, broken, chronic,
     about_to_exercise, pregnant, sudden, pop, unwell, exertion, thinner, tetanus, knee_surgery,
     nerve_disease) = b  # fmt: skip

    lifting = trigger == "injury" or trigger == "heavy_lifting"
    active = lifting or trigger == "exercise"  # else rest, sleep or unknown
    swollen_or_bruised = swelling or bruising
    severe = pain >= 7
    under_16 = age < 16
    sudden_numb = sudden and numb
    injury_numb = numb and (lifting or pop or (trigger == "exercise" and (bruising or cannot_bear)))
    compartment = swelling and numb and (severe or active or exertion)
    breakdown = exertion and severe and (numb or swelling)
    dvt = calf_swollen or calf_red
    clot_risk = (immobile or knee_surgery or pregnant) and (swelling or limits or cannot_bear or minutes > 10)
    infection = fever and (swelling or calf_red or broken)
    strain = swollen_or_bruised and active
    red = (  # one per red flag, in content order
        *(chest, cold, sudden_numb, injury_numb, compartment),  # emergency
        unwell and (fever or dark or hot_joint),
        *(dark, breakdown, dvt, clot_risk, hot_joint, infection, unwell, sudden, pop),  # urgent
        *(cannot_bear and (active or pop), cannot_bear and not active),
        *(severe and swelling and (active or exertion), numb and swelling),
        *(age >= 55 and trigger == "injury", thinner and swollen_or_bruised, minutes > 10, tetanus),
        *(diabetes and broken, age < 3, under_16 and (fever or cannot_bear or limits)),
        *(under_16, knee_surgery, nerve_disease),  # soon, out of scope
        *(numb or skin, wakes, claudication, new_med, weeks >= 4, strain),  # soon
        *(swollen_or_bruised and not active, limits, circulation and broken),
    )
    level = 3 if True in red[:6] else 2 if True in red[6:26] else 1 if True in red[26:] else 0
    out_of_scope = under_16 or knee_surgery or nerve_disease

    # The highest-priority thermal rule that applies (its gate included).
    care = level <= 1 and not out_of_scope  # what self-care and ice or heat need
    if cold or sudden_numb:
        rule = 0
    elif compartment or injury_numb:
        rule = 1
    elif dvt or chest or clot_risk:
        rule = 2
    elif dark or breakdown:
        rule = 3
    elif hot_joint or infection:
        rule = 4
    elif (skin or numb or circulation or claudication or broken) and level < 3:
        rule = 5
    elif (
        hours <= 72
        and (lifting or pop or (trigger == "exercise" and (cannot_bear or sudden)))
        and level < 3
        and not (unwell or out_of_scope)
    ):
        rule = 6
    elif swollen_or_bruised and level < 3 and not (unwell or sudden or out_of_scope):
        rule = 7
    elif chronic and about_to_exercise and care:
        rule = 8
    elif chronic and (trigger == "exercise" or trigger == "heavy_lifting") and care:
        rule = 9
    elif trigger != "injury" and trigger != "heavy_lifting" and care:
        rule = 10
    else:
        rule = 11

    stretch = care and not strain
    relief = (
        stretch and (muscle == "calf" or muscle == "unsure"),
        stretch and muscle == "hamstring",
        stretch and muscle == "quadriceps",
        stretch and not broken and not ((lifting or pop) and hours <= 72)
        and not (swollen_or_bruised and not active),
        stretch and not cannot_bear,
        level <= 2 and not out_of_scope and (swollen_or_bruised or cannot_bear or lifting or pop)
        and not circulation and not claudication and not sudden and not (numb and swelling),
        care,
        care,
    )  # fmt: skip
    night = wakes or trigger == "sleep"
    reviews = level <= 2 and not out_of_scope
    prevention = (
        care and (muscle == "calf" or muscle == "unsure" or night),
        care and (muscle == "hamstring" or night),
        care and muscle == "quadriceps",
        care and night,
        care and night,
        care and age >= 65,
        care and trigger == "exercise",
        care and sedentary,
        care and heavy,
        care and pregnant,
        reviews and new_med,
        care and chronic,
        reviews and diabetes,
        care,
        care,
    )
    return level, red, rule, relief, prevention


_read_integers = itemgetter(*_INTEGERS)
_read_booleans = itemgetter(*_BOOLEANS)


def make_floor(g: Guidance) -> tuple[Callable[[dict[str, Any]], Any], Callable[[dict[str, Any]], str]]:
    """``floor(answers)`` -> (urgency, red flags, thermal, relief, prevention) and ``floor_json``.

    ``AssertionError`` when the content is not the one the floor was written for.
    """
    p = g.engine.parts
    written_for = (_FLAGS, _THERMAL, _RELIEF, _PREVENTION)
    content = (
        tuple(r.id for r in p.flags),
        tuple(t.rule for t in p.thermal),
        tuple(s.id for s in p.relief),
        tuple(s.id for s in p.prevention),
    )
    questions = {q.id: q for q in g.questions}
    expected = {
        **{k: ("integer", True, 0, hi, ()) for k, hi in _INTEGERS.items()},
        **{k: ("choice", True, None, None, v) for k, v in _CHOICES.items()},
        **{k: ("boolean", True, None, None, ()) for k in _BOOLEANS},
        **{k: ("boolean", False, None, None, ()) for k in _OPTIONAL},
    }
    asked = {
        q.id: (q.type, q.required, q.minimum, q.maximum, tuple(c.code for c in q.choices or ()))
        for q in questions.values()
    }
    if content != written_for or asked != expected:
        raise AssertionError("the floor was written for other questions or rules than today's content")
    flags, thermal, relief_parts, prevention_parts = p.flags, p.thermal, p.relief, p.prevention
    flag_json, thermal_json, relief_json, prevention_json = (
        p.flag_json,
        p.thermal_json,
        p.relief_json,
        p.prevention_json,
    )

    def floor(a: dict[str, Any]) -> Any:
        level, red, rule, relief, prevention = _decide(a)
        return (
            _URGENCY[level],
            tuple(compress(flags, red)),
            thermal[rule],
            tuple(compress(relief_parts, relief)),
            tuple(compress(prevention_parts, prevention)),
        )

    def floor_json(a: dict[str, Any]) -> str:
        """The result's JSON without the trace (which the floor does not explain)."""
        level, red, rule, relief, prevention = _decide(a)
        return "".join(
            (
                p.head,
                p.urgencies[level],
                ', "red_flags": [',
                ", ".join(compress(flag_json, red)),
                '], "thermal": ',
                thermal_json[rule],
                ', "relief": [',
                ", ".join(compress(relief_json, relief)),
                '], "prevention": [',
                ", ".join(compress(prevention_json, prevention)),
                "]",
                p.tail,
            )
        )

    return floor, floor_json


def _refused(a: dict[str, Any]) -> list[Any]:
    """Answer sets made from ``a`` that must be refused: one fault each."""
    bad: list[Any] = [list(a.items()), {**a, "unknown_question": True}]
    for key, value in a.items():
        if key not in _OPTIONAL:
            bad.append({k: v for k, v in a.items() if k != key})
        if value is True or value is False:
            wrong: tuple[Any, ...] = (int(value), "yes", None)
        elif type(value) is int:
            wrong = (float(value), str(value), True, -1, _INTEGERS[key] + 1)
        else:
            wrong = (value.upper(), 0, None)
        bad += [{**a, key: w} for w in wrong]
    swapped = dict(a)
    del swapped["age_years"]
    swapped["unknown_question"] = 40  # right count, one unknown and one missing
    bad.append(swapped)
    return bad


def check_agrees(g: Guidance, floor: Callable[[dict[str, Any]], Any], sets: Sequence[dict[str, Any]]) -> None:
    """Raise unless the floor decides exactly as ``assess`` on every answer set, and refuses alike."""
    from kneeguide.errors import AnswersError

    for a in sets:
        got = g.assess(a)
        want = (got.urgency, got.red_flags, got.thermal, got.relief, got.prevention)
        if floor(a) != want:
            raise AssertionError(f"the floor function no longer matches the content on {a}")
    for a in sets[:20]:
        for bad in _refused(a):
            try:
                g.assess(bad)
            except AnswersError:
                pass
            else:
                raise AssertionError(f"assess accepts an answer set the floor was told to refuse: {bad}")
            try:
                floor(bad)
            except ValueError:
                continue
            raise AssertionError(f"the floor accepts answers that assess refuses: {bad}")
