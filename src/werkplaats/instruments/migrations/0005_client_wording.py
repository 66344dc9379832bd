"""Give the shipped library's stored versions their client-facing title and description.

The wording lies outside the content hash, so the versions (and the answers pointing to
them) stay the same; only ``client_title`` and ``client_description`` are added.
"""

from django.db import migrations


def add_client_wording(apps, schema_editor):  # type: ignore[no-untyped-def]
    from werkplaats.instruments.library_loader import load_into

    load_into(
        apps.get_model("instruments", "Instrument"),
        apps.get_model("instruments", "InstrumentVersion"),
    )


class Migration(migrations.Migration):
    dependencies = [("instruments", "0004_context_instruments")]
    operations = [migrations.RunPython(add_client_wording, migrations.RunPython.noop)]
