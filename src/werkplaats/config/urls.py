"""The URL map: each app owns its own patterns.

A few pages live in a higher layer than the namespace their URL name has always had (the
portal's trajectory page and client pages in ``casework:``, its programme map in
``programme:``, insight's policy figures in ``casework:``). They are mounted here into
that namespace, so the names stayed stable while the domain apps do not import upwards.
"""

from types import ModuleType

from django.urls import URLPattern, URLResolver, include, path

from werkplaats.casework import urls as casework_urls
from werkplaats.insight import urls as insight_urls
from werkplaats.portal import urls as portal_urls
from werkplaats.programme import urls as programme_urls

EXTRA: dict[str, list[URLPattern]] = {}
for _module in (portal_urls, insight_urls):
    for _namespace, _patterns in _module.IN_NAMESPACE.items():
        EXTRA.setdefault(_namespace, []).extend(_patterns)


def _app(module: ModuleType) -> tuple[list[URLPattern | URLResolver], str]:
    """The app's own patterns plus those mounted into its namespace from above."""
    return [*module.urlpatterns, *EXTRA.get(module.app_name, [])], module.app_name


urlpatterns = [
    path("", include(portal_urls.urlpatterns)),
    path("", include("werkplaats.operations.urls")),
    path("", include("werkplaats.partnership.urls")),
    path("", include(_app(casework_urls))),
    path("", include(_app(programme_urls))),
    path("", include("werkplaats.stories.urls")),
    path("", include("werkplaats.instruments.urls")),
    path("", include("werkplaats.measurements.urls")),
    path("", include("werkplaats.methods.urls")),
    path("", include("werkplaats.context.urls")),
    path("insight/", include("werkplaats.insight.urls")),
]
