import datetime as dt
from collections.abc import Iterable

import factory
from django.utils import timezone

from tests.casework.factories import ClientFactory
from tests.factory_base import ModelFactory
from tests.partnership.factories import UserFactory
from werkplaats.programme.models import Consent, Study, SubTheme


def _place_on_subthemes(
    study: Study, create: bool, extracted: Iterable[SubTheme] | None, **kwargs: object
) -> None:
    """A study sits on the sub-themes given, or on 1.2 when none are."""
    if create:
        study.subthemes.set(extracted or SubTheme.objects.filter(code="1.2"))


class StudyFactory(ModelFactory[Study]):
    class Meta:
        model = Study
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Studie {n}")
    slug = factory.Sequence(lambda n: f"studie-{n}")
    start = dt.date(2024, 1, 1)
    question = "Wat werkt voor wie?"
    design = "mixed"
    participation = "coproducing"
    phase = "data_collection"

    subthemes = factory.PostGeneration(_place_on_subthemes)


class ConsentFactory(ModelFactory[Consent]):
    class Meta:
        model = Consent

    client = factory.SubFactory(ClientFactory)
    purpose = "study"
    study = factory.SubFactory(StudyFactory)
    given_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=30))
    recorded_by = factory.SubFactory(UserFactory)
