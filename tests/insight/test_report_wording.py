"""The report's counts read right for one and for many, in Dutch and English.

A walk through a new workplace found "1 cliënten met toestemming" and "Maar 1 cliënten met
scores": counts that can be 1 take a plural form, or a wording without agreement.
"""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation

from werkplaats.insight import analysis
from werkplaats.stats.growth import TooFewError

HEADER = Template(
    "{% load i18n %}{% blocktranslate count n=n %}{{ n }} client with consent"
    "{% plural %}{{ n }} clients with consent{% endblocktranslate %}"
)


@pytest.mark.parametrize(
    ("language", "n", "expected"),
    [
        ("nl", 1, "1 cliënt met toestemming"),
        ("nl", 2, "2 cliënten met toestemming"),
        ("en", 1, "1 client with consent"),
        ("en", 7, "7 clients with consent"),
    ],
)
def test_the_report_header_counts_clients_in_the_singular_and_plural(language, n, expected):
    with translation.override(language):
        assert HEADER.render(Context({"n": n})) == expected


def test_the_report_body_uses_the_plural_form():
    from django.conf import settings

    source = (settings.PACKAGE_DIR / "templates" / "insight" / "_report_body.html").read_text()
    assert "{% blocktranslate count n=results.n_clients %}" in source


def test_a_refusal_for_one_client_does_not_say_one_clients():
    error = TooFewError("too few", "clients", n=1, min=20)
    with translation.override("nl"):
        message = analysis.too_few_section(error).text(translation.gettext)
    assert "1 cliënten" not in message
    assert "Cliënten met scores: 1" in message and "20" in message


@pytest.mark.parametrize(
    ("language", "row", "expected"),
    [
        ("nl", {"group": "?", "dimension": "target_group"}, "onbekend <small>(doelgroep)</small>"),
        (
            "en",
            {"group": "?", "dimension": "target_group"},
            "unknown <small>(target group)</small>",
        ),
        ("nl", {"group": "65+", "dimension": "age_band"}, "65+ <small>(leeftijdsgroep)</small>"),
        ("nl", {"group": "Noord", "dimension": "neighbourhood"}, "Noord <small>(wijk)</small>"),
        ("nl", {"group": "Arabisch", "dimension": "language"}, "Arabisch <small>(taal)</small>"),
    ],
)
def test_the_voices_table_names_its_groups_in_words(language, row, expected):
    """The table showed "? (target_group)": the missing-value code and a column name."""
    from django.template.loader import render_to_string

    with translation.override(language):
        assert render_to_string("insight/_voice_group.html", {"row": row}) == expected
