from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "werkplaats.core"
    verbose_name = "Core"

    def ready(self) -> None:
        from werkplaats.core import data_versions

        data_versions.connect()
