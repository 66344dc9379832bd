"""The report's stylesheet styles the report only: on the study page (a page of the site)
its rules reach the report's part, not the site's header, menu or body."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from werkplaats.insight.models import ReportRun

pytestmark = pytest.mark.django_db


def _rules(css: str) -> list[str]:
    """The selectors of every rule outside @page."""
    css = re.sub(r"@page\s*\{[^}]*\}", "", css)
    return [s.strip() for block in re.findall(r"([^{}]+)\{", css) for s in block.split(",")]


def test_every_rule_of_the_report_style_is_scoped_to_the_report(world) -> None:
    ReportRun.objects.create(study=world.study_s, html="<h2>Stored report</h2>")
    c = Client()
    c.force_login(world.rita)
    page = c.get(f"/insight/studies/{world.study_s.pk}/report/").content.decode()
    styles = re.findall(r"<style[^>]*>(.*?)</style>", page, flags=re.S)
    report_css = [css for css in styles if "summary" in css]
    assert report_css, "the report's stylesheet is on the study page"
    selectors = _rules(report_css[0])
    assert selectors and all(s.startswith((".report", "body.report")) for s in selectors), selectors
    # the stored report sits inside the scope
    start = page.index('<div class="report">')
    assert start < page.index("<h2>Stored report</h2>") < page.index("</div>", start)
