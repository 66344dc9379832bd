"""Every method that existed before the library gets its first version: its description."""

from django.db import migrations


def first_versions(apps, schema_editor):  # type: ignore[no-untyped-def]
    Method = apps.get_model("casework", "Method")
    MethodVersion = apps.get_model("methods", "MethodVersion")
    for method in Method.objects.filter(versions__isnull=True):
        MethodVersion.objects.create(
            method=method, number=method.version, description=method.description
        )


class Migration(migrations.Migration):
    dependencies = [("methods", "0001_methods_library_and_fidelity")]

    operations = [migrations.RunPython(first_versions, migrations.RunPython.noop)]
