"""The access log to NEN 7513: actor kept by name, clients per entry, where, outcome, hash chain.

Entries written before this migration are chained in the order they were written, with
the fields they had; their actor name is taken from the user row while it still exists.
"""

import django.utils.timezone
from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def chain_existing(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    from werkplaats.core.audit import _digest

    AccessLog = apps.get_model("core", "AccessLog")
    AccessLogHead = apps.get_model("core", "AccessLogHead")
    prev = ""
    seq = 0
    for entry in AccessLog.objects.select_related("user").order_by("at", "pk").iterator():
        seq += 1
        user = entry.user
        entry.seq = seq
        if user is not None:
            entry.actor_id = user.pk
            entry.actor_name = user.username
        entry.prev_hash = prev
        entry.hash = _digest(entry, [])
        models.Model.save(entry)
        prev = entry.hash
    AccessLogHead.objects.create(pk=1, seq=seq, hash=prev)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial")]

    operations = [
        migrations.AlterModelOptions(name="accesslog", options={"ordering": ["-seq"]}),
        migrations.CreateModel(
            name="AccessLogHead",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.PositiveBigIntegerField(default=0)),
                ("hash", models.CharField(default="", max_length=64)),
            ],
        ),
        migrations.AddField(
            model_name="accesslog",
            name="seq",
            field=models.PositiveBigIntegerField(null=True),
        ),
        migrations.AlterField(
            model_name="accesslog",
            name="at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name="accesslog",
            name="actor_id",
            field=models.PositiveBigIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="accesslog",
            name="actor_name",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="accesslog",
            name="actor_role",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="accesslog",
            name="actor_organisation",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="accesslog",
            name="on_behalf_of",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AlterField(
            model_name="accesslog",
            name="action",
            field=models.CharField(
                choices=[
                    ("view", "viewed"),
                    ("change", "changed"),
                    ("create", "created"),
                    ("export", "exported"),
                    ("denied", "was refused"),
                ],
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="accesslog",
            name="object_id",
            field=models.CharField(max_length=100),
        ),
        migrations.AddField(
            model_name="accesslog",
            name="client_count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="accesslog",
            name="ip",
            field=models.GenericIPAddressField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="accesslog",
            name="session",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="accesslog",
            name="outcome",
            field=models.CharField(
                choices=[("ok", "allowed"), ("denied", "refused")], default="ok", max_length=10
            ),
        ),
        migrations.AddField(
            model_name="accesslog",
            name="prev_hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="accesslog",
            name="hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
    ]
