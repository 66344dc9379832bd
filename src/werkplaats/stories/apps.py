from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StoriesConfig(AppConfig):
    name = "werkplaats.stories"
    verbose_name = _("Lifeworld stories")
