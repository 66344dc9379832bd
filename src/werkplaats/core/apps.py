from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "werkplaats.core"
    verbose_name = "Core"
