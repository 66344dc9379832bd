from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "werkplaats.demo"
    verbose_name = "Demo workplace"
