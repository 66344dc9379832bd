"""Load the three foci, four angles and their sub-themes from programme/data/programme.json."""

import json
from pathlib import Path

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

DATA = Path(__file__).resolve().parent.parent / "data" / "programme.json"


def load(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Focus = apps.get_model("programme", "Focus")
    Angle = apps.get_model("programme", "Angle")
    SubTheme = apps.get_model("programme", "SubTheme")
    data = json.loads(DATA.read_text(encoding="utf-8"))
    for position, focus in enumerate(data["foci"]):
        Focus.objects.update_or_create(
            code=focus["code"],
            defaults={"name_nl": focus["nl"], "name_en": focus["en"], "position": position},
        )
    position = 0
    for a_pos, angle in enumerate(data["angles"]):
        angle_row, _ = Angle.objects.update_or_create(
            code=angle["code"],
            defaults={
                "name_nl": angle["nl"],
                "name_en": angle["en"],
                "domain_nl": angle["domain_nl"],
                "domain_en": angle["domain_en"],
                "position": a_pos,
            },
        )
        for sub in angle["subthemes"]:
            SubTheme.objects.update_or_create(
                code=sub["code"],
                defaults={
                    "angle": angle_row,
                    "name_nl": sub["nl"],
                    "name_en": sub["en"],
                    "position": position,
                },
            )
            position += 1


class Migration(migrations.Migration):
    dependencies = [("programme", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
