from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "werkplaats.portal"
    verbose_name = "Portal"
