"""The access log: entries unique by their place in the chain; one row per client touched."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("core", "0003_access_log_nen7513")]

    operations = [
        migrations.AlterField(
            model_name="accesslog",
            name="seq",
            field=models.PositiveBigIntegerField(unique=True),
        ),
        migrations.CreateModel(
            name="AccessLogClient",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("client_id", models.PositiveBigIntegerField(db_index=True)),
                (
                    "entry",
                    models.ForeignKey(
                        on_delete=models.deletion.DO_NOTHING,
                        related_name="clients",
                        to="core.accesslog",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("entry", "client_id"), name="accesslog_client_unique"
                    )
                ]
            },
        ),
    ]
