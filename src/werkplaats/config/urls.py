"""The URL map: each app owns its own patterns."""

from django.urls import include, path

urlpatterns = [
    path("", include("werkplaats.core.urls")),
    path("", include("werkplaats.operations.urls")),
    path("", include("werkplaats.partnership.urls")),
    path("", include("werkplaats.casework.urls")),
    path("", include("werkplaats.programme.urls")),
    path("", include("werkplaats.stories.urls")),
    path("", include("werkplaats.instruments.urls")),
    path("", include("werkplaats.measurements.urls")),
    path("insight/", include("werkplaats.insight.urls")),
]
