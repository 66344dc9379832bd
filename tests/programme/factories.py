import datetime as dt

import factory
from django.utils import timezone

from tests.casework.factories import ClientFactory
from tests.partnership.factories import UserFactory
from werkplaats.programme.models import Consent, Study, SubTheme


class StudyFactory(factory.django.DjangoModelFactory):
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

    @factory.post_generation
    def subthemes(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]  # noqa: N805
        if create:
            obj.subthemes.set(extracted or SubTheme.objects.filter(code="1.2"))


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    client = factory.SubFactory(ClientFactory)
    purpose = "study"
    study = factory.SubFactory(StudyFactory)
    given_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=30))
    recorded_by = factory.SubFactory(UserFactory)
