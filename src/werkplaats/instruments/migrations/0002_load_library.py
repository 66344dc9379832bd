"""Load the shipped instrument library (Pearlin, De Jong Gierveld, GAS, templates)."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def load_library(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    from werkplaats.instruments.library_loader import load_into

    load_into(
        apps.get_model("instruments", "Instrument"),
        apps.get_model("instruments", "InstrumentVersion"),
    )


class Migration(migrations.Migration):
    dependencies = [("instruments", "0001_initial")]
    operations = [migrations.RunPython(load_library, migrations.RunPython.noop)]
