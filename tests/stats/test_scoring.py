"""Scoring against the published rules, with worked examples.

Pearlin & Schooler (1978): seven items coded 1-4, items 1, 2, 3, 5 and 7 reversed, sum
7-28. De Jong Gierveld & Van Tilburg (2006), scored as in the manual's SPSS syntax: an
item counts 1 when it indicates loneliness; total 0-6 missing when more than one item
is missing; subscales 0-3 missing when any item is missing; bands 0-1 / 2-4 / 5-6.
"""

from __future__ import annotations

import copy
import doctest
from pathlib import Path

import pytest
import yaml

import werkplaats.demo.simulate
import werkplaats.stats.change
import werkplaats.stats.definition.model
import werkplaats.stats.definition.parse
import werkplaats.stats.expressions
import werkplaats.stats.scoring
from werkplaats.demo.simulate import simulate_answers
from werkplaats.stats.definition import AnswerError, DefinitionError, parse_definition
from werkplaats.stats.scoring import GoalLevel, ScaleScore, score

LIBRARY = Path(werkplaats.stats.scoring.__file__).parents[1] / "instruments" / "library"


def load(name: str):
    return parse_definition(yaml.safe_load((LIBRARY / f"{name}.yaml").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def pearlin():
    return load("pearlin-mastery")


@pytest.fixture(scope="module")
def djg():
    return load("dejong-gierveld-6")


def _band(scale_score: ScaleScore, language: str = "en") -> str:
    """The label of the band a score falls in; a score without a band fails the test."""
    assert scale_score.band is not None, f"{scale_score.scale.id}: no band"
    return scale_score.band.label[language]


def _value(scale_score: ScaleScore) -> float:
    assert scale_score.value is not None, scale_score.reason
    return scale_score.value


def test_doctests_of_the_scoring_modules_run() -> None:
    for module in (
        werkplaats.stats.scoring,
        werkplaats.stats.definition.model,
        werkplaats.stats.definition.parse,
        werkplaats.stats.expressions,
        werkplaats.stats.change,
        werkplaats.demo.simulate,
    ):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0


# Pearlin Mastery -------------------------------------------------------------


def test_pearlin_most_mastery_scores_28(pearlin) -> None:
    # Strongly disagree (1) with the five negative items, strongly agree (4) with 4 and 6.
    answers = {"m1": 1, "m2": 1, "m3": 1, "m4": 4, "m5": 1, "m6": 4, "m7": 1}
    assert score(pearlin, answers)["mastery"].value == 28


def test_pearlin_least_mastery_scores_7(pearlin) -> None:
    answers = {"m1": 4, "m2": 4, "m3": 4, "m4": 1, "m5": 4, "m6": 1, "m7": 4}
    assert score(pearlin, answers)["mastery"].value == 7


def test_pearlin_worked_example(pearlin) -> None:
    # Agree (3) with everything: reversed items give 2 each (5 x 2), items 4 and 6 give 3 each.
    answers = dict.fromkeys(["m1", "m2", "m3", "m4", "m5", "m6", "m7"], 3)
    assert score(pearlin, answers)["mastery"].value == 16


def test_pearlin_reverses_exactly_items_1_2_3_5_7(pearlin) -> None:
    assert [i.id for i in pearlin.items if i.reverse] == ["m1", "m2", "m3", "m5", "m7"]


def test_pearlin_prorates_one_missing_and_refuses_two(pearlin) -> None:
    six = {"m1": 1, "m2": 1, "m3": 1, "m4": 4, "m5": 1, "m6": 4}  # all at maximum, m7 missing
    assert score(pearlin, six)["mastery"].value == pytest.approx(28.0)
    five = {"m1": 1, "m2": 1, "m3": 1, "m4": 4, "m5": 1}
    result = score(pearlin, five)["mastery"]
    assert result.value is None and result.missing


def test_an_answer_outside_the_options_is_refused(pearlin) -> None:
    with pytest.raises(AnswerError) as exc:
        score(pearlin, {"m1": 5})
    assert exc.value.code == "not_an_option"
    with pytest.raises(AnswerError):
        score(pearlin, {"m1": "three"})
    with pytest.raises(AnswerError) as exc:
        score(pearlin, {"m99": 1})
    assert exc.value.code == "unknown_item"


# De Jong Gierveld 6 ----------------------------------------------------------

NO, MORE_OR_LESS, YES = 1, 2, 3
EMOTIONAL = ("lone3", "lone9", "lone10")
SOCIAL = ("lone4", "lone7", "lone8")


def test_djg_not_lonely_at_all(djg) -> None:
    answers = {**dict.fromkeys(EMOTIONAL, NO), **dict.fromkeys(SOCIAL, YES)}
    scores = score(djg, answers)
    assert (scores["emotional"].value, scores["social"].value, scores["total"].value) == (0, 0, 0)
    assert _band(scores["total"]) == "Not lonely"


def test_djg_more_or_less_counts_as_lonely_on_both_kinds_of_item(djg) -> None:
    scores = score(djg, dict.fromkeys(EMOTIONAL + SOCIAL, MORE_OR_LESS))
    assert (scores["emotional"].value, scores["social"].value, scores["total"].value) == (3, 3, 6)
    assert _band(scores["total"]) == "Severely lonely"


def test_djg_worked_example_moderately_lonely(djg) -> None:
    # Emptiness: yes (1); miss people: no (0); rejected: more or less (1);
    # plenty to rely on: yes (0); many to trust: no (1); enough close: yes (0).
    answers = {
        "lone3": YES,
        "lone9": NO,
        "lone10": MORE_OR_LESS,
        "lone4": YES,
        "lone7": NO,
        "lone8": YES,
    }
    scores = score(djg, answers)
    assert scores["emotional"].value == 2
    assert scores["social"].value == 1
    assert scores["total"].value == 3
    assert _band(scores["total"], "nl") == "Matig eenzaam"
    assert _band(scores["emotional"]) == "Lonely"


def test_djg_total_allows_one_missing_item_counted_as_not_lonely(djg) -> None:
    answers = {"lone3": YES, "lone9": YES, "lone10": YES, "lone4": NO, "lone7": NO}
    scores = score(djg, answers)
    assert scores["total"].value == 5  # lone8 missing: counted 0, not prorated
    assert scores["social"].value is None  # a subscale with a missing item is missing
    assert scores["emotional"].value == 3


def test_djg_total_is_missing_when_more_than_one_item_is_missing(djg) -> None:
    answers = {"lone3": YES, "lone9": YES, "lone10": YES, "lone4": NO}
    assert score(djg, answers)["total"].value is None


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "Not lonely"),
        (1, "Not lonely"),
        (2, "Moderately lonely"),
        (4, "Moderately lonely"),
        (5, "Severely lonely"),
        (6, "Severely lonely"),
    ],
)
def test_djg_bands_as_published(djg, total: int, band: str) -> None:
    assert djg.scale("total").band_for(total).label["en"] == band


# GAS --------------------------------------------------------------------------


def test_gas_definition_reuses_the_kiresuk_sherman_t_score() -> None:
    gas = load("goal-attainment")
    assert score(gas, {}, goals=[GoalLevel(0), GoalLevel(0)])["t_score"].value == 50.0
    assert score(gas, {}, goals=[GoalLevel(1)])["t_score"].value == pytest.approx(60.0)
    assert score(gas, {})["t_score"].value is None


# Templates -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["zrm", "nel", "tfi", "icecap-a"])
def test_licensed_templates_ship_no_item_text(name: str) -> None:
    definition = load(name)
    assert definition.kind == "template"
    assert definition.data["licence"]["code"] == "bring-your-own-licence"
    assert definition.data["licence"]["item_text_included"] is False
    assert all(not item.text for item in definition.items)


def test_zrm_has_13_domains_of_5_levels() -> None:
    zrm = load("zrm")
    assert len(zrm.items) == 13 and all(i.values == (1, 2, 3, 4, 5) for i in zrm.items)


def test_tfi_cut_off_five_means_frail() -> None:
    tfi = load("tfi")
    answers = {f"b{k}": 1 if k <= 5 else 0 for k in range(1, 16)}
    result = score(tfi, answers)["total"]
    assert result.value == 5 and _band(result) == "Frail"


def test_every_library_definition_states_licence_and_citation() -> None:
    for path in LIBRARY.glob("*.yaml"):
        data = parse_definition(yaml.safe_load(path.read_text(encoding="utf-8"))).data
        assert data["licence"]["statement"] and data["citation"], path.name


# Validation error paths ------------------------------------------------------


@pytest.fixture
def raw():
    return yaml.safe_load((LIBRARY / "pearlin-mastery.yaml").read_text(encoding="utf-8"))


def problems_of(data) -> list[str]:
    with pytest.raises(DefinitionError) as exc:
        parse_definition(data)
    return [str(p) for p in exc.value.problems]


def test_duplicate_option_value_is_reported_with_its_path(raw) -> None:
    raw["items"][3]["options"] = [
        {"value": 1, "label": {"nl": "a"}},
        {"value": 2, "label": {"nl": "b"}},
        {"value": 2, "label": {"nl": "c"}},
    ]
    assert "items[3].options[2].value: duplicate code 2" in problems_of(raw)


def test_structural_errors_name_their_path(raw) -> None:
    raw["items"][1]["options"] = [
        {"value": 1.5, "label": {"nl": "a"}},
        {"value": 2, "label": {"nl": "b"}},
    ]
    raw["scales"][0]["method"] = "median"
    found = problems_of(raw)
    assert any(p.startswith("items[1].options") for p in found)
    assert any(p.startswith("scales[0].method") for p in found)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["items"].append(copy.deepcopy(d["items"][0])),
            "items[7].id: duplicate id 'm1'",
        ),
        (
            lambda d: d["items"][0].update(options="nope"),
            "items[0].options: unknown option set 'nope'",
        ),
        (lambda d: d["scales"][0]["items"].append("m9"), "scales[0].items[7]: names no item: 'm9'"),
        (
            lambda d: d["scales"][0].update(min_answered=8),
            "scales[0].min_answered: 8 is more than the scale's 7 items",
        ),
        (lambda d: d["items"][2].update(recode="t"), "items[2].recode: unknown recode table 't'"),
        (
            lambda d: d["informants"]["professional"]["items"].update(m8={"nl": "x"}),
            "informants.professional.items.m8: names no item",
        ),
        (
            lambda d: d["scales"][0].update(
                bands=[
                    {"min": 0, "max": 10, "label": {"nl": "a"}},
                    {"min": 5, "max": 28, "label": {"nl": "b"}},
                ]
            ),
            "scales[0].bands: bands overlap at 5–10",
        ),
        (
            lambda d: d.update(kind="template"),
            "items[0].text: a template (bring your own licence) carries no item text",
        ),
        (lambda d: d.pop("citation"), "'citation' is required"),
        (lambda d: d["licence"].update(code="gpl"), "licence.code: 'gpl' is not one of"),
    ],
)
def test_invalid_definitions_are_rejected_with_the_path(raw, change, expected: str) -> None:
    change(raw)
    found = problems_of(raw)
    assert any(p.startswith(expected) for p in found), found


def test_a_recode_table_must_cover_every_option(raw) -> None:
    raw["recode_tables"] = {"half": {"1": 0, "2": 0}}
    raw["items"][3]["recode"] = "half"
    assert (
        "items[3].recode: recode table 'half' has no score for option code(s) [3, 4]"
        in problems_of(raw)
    )


def test_the_content_hash_ignores_key_order_and_file_format(raw) -> None:
    from werkplaats.stats.definition import content_hash

    reordered = dict(reversed(list(raw.items())))
    assert content_hash(parse_definition(raw).data) == content_hash(
        parse_definition(reordered).data
    )
    changed = copy.deepcopy(raw)
    changed["items"][0]["text"]["nl"] += " "
    assert content_hash(parse_definition(changed).data) != content_hash(parse_definition(raw).data)


def test_the_published_schema_in_docs_is_the_one_the_code_uses() -> None:
    docs = Path(__file__).parents[2] / "docs" / "instrument.schema.json"
    assert docs.read_text(encoding="utf-8") == werkplaats.stats.definition.SCHEMA_PATH.read_text(
        encoding="utf-8"
    )


def test_simulated_answers_follow_the_latent_score(pearlin, djg) -> None:
    import random

    rng = random.Random(7)
    low = [
        _value(score(pearlin, simulate_answers(pearlin, -1.0, rng))["mastery"]) for _ in range(200)
    ]
    high = [
        _value(score(pearlin, simulate_answers(pearlin, 1.0, rng))["mastery"]) for _ in range(200)
    ]
    assert sum(high) / 200 > sum(low) / 200 + 4
    # Loneliness: higher is worse, so a well-connected person gets a low total.
    lonely = score(djg, simulate_answers(djg, 2.5, rng, noise=0))["total"].value
    connected = score(djg, simulate_answers(djg, -2.5, rng, noise=0))["total"].value
    assert (lonely, connected) == (6, 0)
    some_missing = simulate_answers(pearlin, 0.0, random.Random(3), missing=0.5)
    assert any(v is None for v in some_missing.values())


def test_a_repeated_item_in_a_scale_scores_the_mean_of_its_instances() -> None:
    data = {
        "format": "werkplaats.instrument/1",
        "id": "visits",
        "version": "1",
        "construct": "x",
        "kind": "questionnaire",
        "title": {"en": "Visits"},
        "licence": {"code": "other", "statement": "-", "item_text_included": True},
        "citation": "-",
        "groups": [{"id": "visit", "repeat": True}],
        "items": [
            {"id": "mood", "type": "integer", "text": {"en": "Mood today"}},
            {"id": "pain", "type": "integer", "text": {"en": "Pain"}, "group": "visit"},
        ],
        "scales": [
            {"id": "total", "label": {"en": "T"}, "method": "sum", "items": ["mood", "pain"]}
        ],
    }
    definition = parse_definition(data)
    # three visits: pain 2, 4 and 9 -> 5; plus mood 3
    result = score(definition, {"mood": 3, "pain": 2, "pain#2": 4, "pain#3": 9})
    assert result["total"].value == 8.0
    with pytest.raises(AnswerError):  # only an item in a repeat group has instances
        score(definition, {"mood#2": 3})
