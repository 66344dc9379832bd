from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "werkplaats.insight"
    label = "insight"
    verbose_name = "What works for whom"

    def ready(self) -> None:
        from werkplaats.core import data_versions
        from werkplaats.insight import inputs

        # every process counts the writes to what the policy pages keep (the worker and
        # the import commands too, not only the web server)
        data_versions.track(*inputs.municipality_outcomes(), *inputs.policy_figures())
