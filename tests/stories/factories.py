import datetime as dt

import factory
from django.utils import timezone

from tests.factory_base import ModelFactory
from tests.partnership.factories import UserFactory
from tests.programme.factories import StudyFactory
from werkplaats.stories.models import Code, Codebook, CodingRound, SharedVersion, Source

STORY = (
    "Sinds mijn buurvrouw Fatima mij helpt, kom ik weer buiten. "
    "Vroeger zat ik de hele dag binnen. "
    "Nu ga ik elke dinsdag naar de koffieochtend in Utrecht."
)


class SourceFactory(ModelFactory[Source]):
    class Meta:
        model = Source

    kind = "client_story"
    title = factory.Sequence(lambda n: f"Verhaal {n}")
    text = STORY
    teller_role = "client"
    study = factory.SubFactory(StudyFactory)
    research_consent_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3))
    created_by = factory.SubFactory(UserFactory)


class SharedVersionFactory(ModelFactory[SharedVersion]):
    class Meta:
        model = SharedVersion

    source = factory.SubFactory(SourceFactory)
    title = factory.Sequence(lambda n: f"Gedeeld verhaal {n}")
    text = factory.LazyAttribute(lambda o: o.source.text)
    reviewed_by = factory.SubFactory(UserFactory)
    reviewed_at = factory.LazyFunction(timezone.now)


class CodebookFactory(ModelFactory[Codebook]):
    class Meta:
        model = Codebook

    title = factory.Sequence(lambda n: f"Codeboek {n}")
    owner = factory.SubFactory(UserFactory)


class CodeFactory(ModelFactory[Code]):
    class Meta:
        model = Code

    codebook = factory.SubFactory(CodebookFactory)
    name = factory.Sequence(lambda n: f"code {n}")


class CodingRoundFactory(ModelFactory[CodingRound]):
    class Meta:
        model = CodingRound

    study = factory.SubFactory(StudyFactory)
    codebook = factory.SubFactory(CodebookFactory)
    title = factory.Sequence(lambda n: f"Ronde {n}")
    created_by = factory.SubFactory(UserFactory)
