"""Static files: WhiteNoise serves them under the development server and in production,
where `serve` collects hashed, compressed copies that may be cached for a year."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


@pytest.mark.django_db
def test_the_development_server_path_serves_the_stylesheet(client):
    response = client.get("/static/werkplaats.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)


@pytest.mark.django_db
def test_every_page_names_an_icon_that_is_served(client):
    """Without one, browsers ask /favicon.ico on every page and log a 404."""
    page = client.get("/login/").content.decode()
    assert 'rel="icon"' in page and "favicon.svg" in page
    response = client.get("/static/favicon.svg")
    assert response.status_code == 200
    assert b"<svg" in b"".join(response.streaming_content)


def test_production_collects_hashed_compressed_files(tmp_path):
    env = {
        **os.environ,
        "WERKPLAATS_DEBUG": "0",
        "WERKPLAATS_SECRET_KEY": "s" * 40,
        "WERKPLAATS_FIELD_KEY": "ZGV2LW9ubHktZmllbGQta2V5LTMyLWJ5dGVzLWxvbmc=",
        "WERKPLAATS_PSEUDONYM_KEY": "p" * 40,
        "WERKPLAATS_DATA_DIR": str(tmp_path),
        "WERKPLAATS_STATIC_ROOT": str(tmp_path / "static"),
    }
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "werkplaats.cli", "manage", "collectstatic", "--noinput", "-v0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["werkplaats.css"]
    assert hashed != "werkplaats.css" and hashed.endswith(".css")
    assert (tmp_path / "static" / (hashed + ".gz")).exists()
    assert (tmp_path / "static" / (hashed + ".br")).exists()


def test_a_server_error_reaches_the_error_log_with_its_traceback(world, settings, monkeypatch):
    import io
    import logging

    from django.test import Client

    from werkplaats.portal import views

    settings.DEBUG = False
    handler = next(
        h for h in logging.getLogger("django.request").handlers if hasattr(h, "setStream")
    )
    stream = io.StringIO()
    # Set the attribute rather than call setStream, which flushes the old stream first:
    # the handler was made with the sys.stderr of its day, which pytest may have closed.
    monkeypatch.setattr(handler, "stream", stream)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(views, "render", broken)
    browser = Client(raise_request_exception=False)
    browser.force_login(world.alice)
    response = browser.get("/")
    assert response.status_code == 500
    assert "database is locked" not in response.content.decode()  # the user sees no detail
    logged = stream.getvalue()
    assert "Internal Server Error: /" in logged and "RuntimeError: database is locked" in logged


def test_the_server_leaves_what_it_loaded_out_of_the_garbage_collector():
    """The master loads the application and freezes its objects before the workers fork,
    so a worker's full collection does not walk Django and the apps on every pass."""
    import gc

    from werkplaats.operations import web

    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    server = web.WerkplaatsServer.__new__(web.WerkplaatsServer)  # no gunicorn arguments
    try:
        assert callable(server.load())
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


def test_the_server_runs_one_request_per_process_by_default_threads_if_asked(settings):
    """The default (bench/README.md: lowest p95 at 20 users on two cores) is gunicorn's
    sync worker, 2 x cores + 1 processes; threads per process switch to gthread."""
    from werkplaats.operations.web import server_options

    assert settings.WEB_SERVER["threads"] == 1
    assert settings.WEB_SERVER["workers"] == 2 * (os.cpu_count() or 1) + 1
    default = server_options()
    assert default["worker_class"] == "sync" and default["threads"] == 1
    settings.WEB_SERVER = {**settings.WEB_SERVER, "workers": 3, "threads": 4}
    threaded = server_options("127.0.0.1:9999")
    assert threaded["worker_class"] == "gthread" and threaded["workers"] == 3
    assert threaded["bind"] == ["127.0.0.1:9999"]


def test_the_production_server_imports_every_lazy_view_before_the_workers_fork():
    """A worker (also one restarted after max_requests) forks with the statistics pages
    loaded, instead of paying seconds of imports on its first statistics request."""
    from werkplaats.core import lazy_views
    from werkplaats.operations.web import warm_up

    warm_up()
    assert len(lazy_views._TARGETS) >= 10  # the insight pages are mounted lazily
    unloaded = [dotted for dotted, target in lazy_views._TARGETS.items() if not target]
    assert not unloaded
