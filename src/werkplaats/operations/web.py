"""The production web server: gunicorn running the WSGI application, with its workers,
threads and timeouts from the settings (``WEB_SERVER``, see docs/deploy.md)."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class WerkplaatsServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self) -> Any:
        from django.core.wsgi import get_wsgi_application  # what config/wsgi.py serves

        application = get_wsgi_application()
        warm_up()
        freeze_loaded_objects()
        return application


def warm_up() -> None:
    """Import the URL map and every view now, once, before the workers fork, instead of in
    a worker's first request. That includes the statistics pages the URL map mounts lazily
    (core.lazy_views) and numpy, pandas and scipy under them: a worker gunicorn starts anew
    after ``max_requests`` forks from this process and so has them too."""
    from django.urls import get_resolver

    from werkplaats.core.lazy_views import load_all

    get_resolver().url_patterns  # noqa: B018
    load_all()


def freeze_loaded_objects() -> None:
    """Leave what the application loaded at start out of the garbage collector's passes.

    After the URL map and the views are imported the process holds some 200,000 objects
    (Django, the apps, their modules) that live as long as it does. Python's full
    collection walks all of them: in a worker that came to 15 ms of a 96 ms home page
    (one full pass of about 150 ms every ten or so requests at 20,000 clients,
    bench/README.md). ``gc.freeze()`` in the master, before the fork, moves them to a
    generation that is never collected, and the workers also stop writing to the pages
    they share with the master (the collector's bookkeeping otherwise copies them)."""
    import gc

    gc.collect()
    gc.freeze()


def server_options(bind: str | None = None) -> dict[str, Any]:
    from django.conf import settings

    conf: dict[str, Any] = dict(settings.WEB_SERVER)
    if bind:
        conf["bind"] = bind
    return {
        "bind": [conf["bind"]],
        "workers": conf["workers"],
        "threads": conf["threads"],
        "worker_class": "gthread" if conf["threads"] > 1 else "sync",
        "timeout": conf["timeout"],
        "graceful_timeout": conf["graceful_timeout"],
        "max_requests": conf["max_requests"],
        "max_requests_jitter": max(conf["max_requests"] // 10, 0),
        # The application is loaded once, before the workers fork: they share its
        # memory, and a broken configuration stops the server at once instead of
        # in every worker.
        "preload_app": True,
        "accesslog": "-",
        "errorlog": "-",
        "proc_name": "werkplaats",
        # gunicorn's control socket sits at one fixed path per user: two servers on one
        # machine would fight over it, and systemd restarts need no socket.
        "control_socket_disable": True,
        # Which peers may tell gunicorn the request was HTTPS (X-Forwarded-Proto and the
        # like): only the proxies configured, none by default (gunicorn itself would
        # trust 127.0.0.1). Django's own SECURE_PROXY_SSL_HEADER is set apart.
        "forwarded_allow_ips": ",".join(conf["trusted_proxies"]),
    }


def run(bind: str | None = None) -> None:
    from django.db import connections

    connections.close_all()  # no connection opened before the fork may be shared
    WerkplaatsServer(server_options(bind)).run()
