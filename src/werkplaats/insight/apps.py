from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "werkplaats.insight"
    label = "insight"
    verbose_name = "What works for whom"
