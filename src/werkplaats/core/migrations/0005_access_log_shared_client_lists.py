"""The access log: a long client list is written once, later entries naming the same
clients refer to the entry that holds it (core.audit.SHARED_LIST)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_access_log_clients"),
    ]

    operations = [
        migrations.AddField(
            model_name="accesslog",
            name="client_set",
            field=models.CharField(
                blank=True, db_default="", db_index=True, default="", max_length=64
            ),
        ),
        migrations.AddField(
            model_name="accesslog",
            name="clients_as",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="core.accesslog",
            ),
        ),
    ]
