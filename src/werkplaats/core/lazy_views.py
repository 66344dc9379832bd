"""Views imported on their first request instead of with the URL map.

The statistics pages (insight) pull in their report, figure and export modules on top of
numpy, pandas and scipy, which take seconds to import. Mounted through :func:`lazy_view`,
they are imported when one of them is first asked for, so the development server and the
tests start at once. The production server calls :func:`load_all` in its master process
before the workers fork (``operations.web.warm_up``): every worker, also one gunicorn
starts anew after ``max_requests``, then has them without paying on a request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

_TARGETS: dict[str, list[Callable[..., HttpResponse]]] = {}


def load_all() -> int:
    """Import every lazily mounted view now; return how many there are."""
    for dotted, target in _TARGETS.items():
        if not target:
            target.append(import_string(dotted))
    return len(_TARGETS)


def lazy_view(dotted: str) -> Callable[..., HttpResponse]:
    """A view that imports ``dotted`` (``package.module.function``) when first called."""
    target = _TARGETS.setdefault(dotted, [])

    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not target:
            target.append(import_string(dotted))
        return target[0](request, *args, **kwargs)

    view.__name__ = dotted.rsplit(".", 1)[-1]
    view.__qualname__ = view.__name__
    view.__module__ = dotted.rsplit(".", 1)[0]
    view.__doc__ = f"{dotted}, imported on its first request."
    return view
