"""Data versions: one number per table that writes move on (core.data_versions)."""

import secrets

from django.db import migrations, models


def identity(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("core", "DataVersion").objects.create(
        table_name="*", version=secrets.randbits(48)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_access_log_shared_client_lists"),
    ]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("table_name", models.CharField(db_index=True, max_length=100)),
                ("version", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(identity, migrations.RunPython.noop),
    ]
