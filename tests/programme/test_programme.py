"""The programme as data, the map with its gaps, and consents."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from tests.programme.factories import StudyFactory
from werkplaats.programme import services
from werkplaats.programme.models import Angle, Consent, Focus, SubTheme
from werkplaats.programme.selectors import programme_map

pytestmark = pytest.mark.django_db


def test_seed_programme_is_loaded_as_data():
    assert Focus.objects.count() == 3
    assert list(Angle.objects.values_list("code", flat=True)) == ["1", "2", "3", "4"]
    assert SubTheme.objects.count() == 13
    assert SubTheme.objects.get(code="3.3").angle.code == "3"


def test_map_marks_gaps_and_stakeholder_kinds(world):
    rows = {row.subtheme.code: row for _angle, rs in programme_map() for row in rs}
    assert not rows["1.2"].is_gap and rows["1.2"].studies == [world.study_s]
    assert rows["3.3"].is_gap
    assert "client_org" in rows["1.2"].missing_kinds


def test_map_page_lists_gaps_in_english(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.eva)
    html = client.get(reverse("programme:map")).content.decode()
    assert "Fields of tension" in html and "gap: no study" in html
    assert "Studie S" in html


def test_the_map_links_a_study_only_for_those_who_may_open_it(world):
    """A client reads the map but not a study's page: the map once linked the study
    anyway, and the client who followed the link got 403."""
    link = reverse("programme:study", args=[world.study_s.pk])
    client = Client()
    client.force_login(world.klaas)
    html = client.get(reverse("programme:map")).content.decode()
    assert "Studie S" in html and f'href="{link}"' not in html
    assert client.get(link).status_code == 403
    client.force_login(world.eva)
    html = client.get(reverse("programme:map")).content.decode()
    assert f'href="{link}"' in html and client.get(link).status_code == 200


def test_consent_for_a_study_must_name_the_study(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Consent.objects.create(
            client=world.client_a,
            purpose="study",
            study=None,
            given_at=timezone.now(),
            recorded_by=world.alice,
        )


def test_consent_cannot_be_given_twice(world):
    study = StudyFactory()
    services.consent_give(client=world.client_a, user=world.alice, study=study)
    with translation.override("en"), pytest.raises(ValidationError, match="already"):
        services.consent_give(client=world.client_a, user=world.alice, study=study)
