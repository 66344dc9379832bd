"""Load target groups, working principles (seed 2.2) and actor kinds."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

TARGET_GROUPS = [
    ("multi-problem-household", "Multiprobleemhuishouden", "Multi-problem household"),
    ("frail-elderly", "Kwetsbare ouderen", "Frail elderly"),
    ("young-adults", "Jongvolwassenen", "Young adults"),
    ("debt", "Schulden", "Debt problems"),
]

PRINCIPLES = [
    ("facilitator", "Facilitator", "Facilitator"),
    ("generalist", "Generalist", "Generalist"),
    ("bridge-builder", "Bruggenbouwer", "Bridge-builder"),
    ("integral", "Integraal", "Integral"),
    ("strengths-based", "Krachtgericht", "Strengths-based"),
    ("in-the-neighbourhood", "In de wijk", "In the neighbourhood"),
    ("outreach", "Pro-actief / outreachend", "Pro-active / outreach"),
]

ACTORS = [
    ("client", "Cliënt", "Client", False, ""),
    ("informal-network", "Informeel netwerk", "Informal network", False, ""),
    ("health", "Zorg", "Health care", True, "health"),
    ("housing", "Wonen", "Housing", True, "housing"),
    ("debt", "Schuldhulp", "Debt counselling", True, "debt"),
    ("income", "Werk en inkomen", "Work and income", True, "income"),
    ("education", "Onderwijs", "Education", True, "education"),
    ("justice", "Justitie", "Justice", True, "justice"),
    ("police", "Politie", "Police", True, "police"),
]


def load(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    TargetGroup = apps.get_model("casework", "TargetGroup")
    WorkingPrinciple = apps.get_model("casework", "WorkingPrinciple")
    ActorKind = apps.get_model("casework", "ActorKind")
    for code, nl, en in TARGET_GROUPS:
        TargetGroup.objects.update_or_create(code=code, defaults={"name_nl": nl, "name_en": en})
    for pos, (code, nl, en) in enumerate(PRINCIPLES):
        WorkingPrinciple.objects.update_or_create(
            code=code, defaults={"name_nl": nl, "name_en": en, "position": pos}
        )
    for pos, (code, nl, en, formal, sector) in enumerate(ACTORS):
        ActorKind.objects.update_or_create(
            code=code,
            defaults={
                "name_nl": nl,
                "name_en": en,
                "formal": formal,
                "sector": sector,
                "position": pos,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("casework", "0002_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
