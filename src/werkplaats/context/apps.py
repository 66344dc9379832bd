from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContextConfig(AppConfig):
    name = "werkplaats.context"
    verbose_name = _("Organisation and policy context")
