"""Views imported on their first request instead of with the URL map.

The statistics pages (insight) pull in numpy, pandas and scipy, which take seconds to
import. Mounted through :func:`lazy_view`, they are imported when one of them is first
asked for: a server starts at once, and the professional's and client's pages, which
need none of it, never wait for those libraries (bench/load.py prints the start and
first-request times).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string


def lazy_view(dotted: str) -> Callable[..., HttpResponse]:
    """A view that imports ``dotted`` (``package.module.function``) when first called."""
    target: list[Callable[..., HttpResponse]] = []

    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not target:
            target.append(import_string(dotted))
        return target[0](request, *args, **kwargs)

    view.__name__ = dotted.rsplit(".", 1)[-1]
    view.__qualname__ = view.__name__
    view.__module__ = dotted.rsplit(".", 1)[0]
    view.__doc__ = f"{dotted}, imported on its first request."
    return view
