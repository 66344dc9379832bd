from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "werkplaats.operations"
    verbose_name = "Operations"
