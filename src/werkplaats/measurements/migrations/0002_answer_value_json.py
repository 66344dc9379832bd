"""Answers hold any item's answer (text codes, lists, numbers, dates), not only whole numbers."""

from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def copy_values(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    table = schema_editor.quote_name("measurements_answer")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"UPDATE {table} SET value_json = to_jsonb(value)")
    else:
        schema_editor.execute(f"UPDATE {table} SET value_json = CAST(value AS TEXT)")


def copy_back(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    table = schema_editor.quote_name("measurements_answer")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"UPDATE {table} SET value = (value_json #>> '{{}}')::integer "
            "WHERE jsonb_typeof(value_json) = 'number'"
        )
    else:
        schema_editor.execute(
            f"UPDATE {table} SET value = CAST(value_json AS INTEGER) "
            "WHERE json_type(value_json) = 'integer'"
        )


class Migration(migrations.Migration):
    dependencies = [("measurements", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="answer", name="value_json", field=models.JSONField(null=True)
        ),
        migrations.RunPython(copy_values, copy_back),
        migrations.RemoveField(model_name="answer", name="value"),
        migrations.RenameField(model_name="answer", old_name="value_json", new_name="value"),
        migrations.AlterField(model_name="answer", name="value", field=models.JSONField()),
        migrations.AlterField(
            model_name="answer", name="item_id", field=models.CharField(max_length=100)
        ),
    ]
