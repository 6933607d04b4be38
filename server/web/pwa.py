"""The offline field app: its shell, service worker, manifest and offline page.

The shell (``/app``) is one Jinja template holding every screen as ``<template>`` markup and
the strings the scripts need; it is the same for every user so the service worker can
cache it. Its code, its stylesheet and the worker are bundles (server/web/bundle.py): one
file each instead of a request per module. The worker's text carries the cache version: the
app version, the optional ``WANGGE_APP_BUILD`` and a hash of every file the worker
precaches, so changing any of them produces a new worker and, in the browser, the "new
version" prompt.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from litestar import MediaType, Request, Response, get
from litestar.types import ControllerRouterHandler

from server import __version__, i18n
from server.deps import AppSettings
from server.encoding import choose_encoding, compress
from server.labels import labels
from server.web.bundle import Bundle, bundle, files_digest, files_signature
from server.web.static import static_url

ROOT = Path(__file__).resolve().parent.parent.parent
STATIC_DIR = ROOT / "web" / "static"
APP_TEMPLATES = ROOT / "web" / "templates" / "app"
LOCALE_DIR = ROOT / "server" / "locale"
#: the label table the shell carries (its words are in LOCALE_DIR)
LABELS_SOURCE = ROOT / "server" / "labels.py"

#: pages the worker stores next to the static files (rendered by this module)
SHELL_PAGES = ("/app", "/offline", "/manifest.webmanifest")
#: static files precached besides the bundle's script and stylesheet: the icons and the QR
#: decoder the doorplate scanner loads (it must work offline). Nothing else: every byte here
#: is downloaded on install, over 2G; htmx (web/static/vendor/) serves the server-rendered
#: pages, which are never offline, so the field app does not carry it.
STATIC_GLOBS = ("icons/*.png", "vendor/jsQR.min.js")
#: the bundle's files the page loads (the worker's own script is served as /sw.js)
BUNDLE_FILES = ("app.js", "app.css")

THEME_COLOUR = "#0f766e"
BACKGROUND_COLOUR = "#f8fafc"
NO_CACHE = {"Cache-Control": "no-cache"}
#: the shell pages are the same for every user of a locale and version: compressed once
SHELL_BROTLI_QUALITY = 11


@lru_cache(maxsize=32)
def _packed(body: bytes, encoding: str) -> bytes:
    return compress(body, encoding, quality=SHELL_BROTLI_QUALITY)


def _negotiated(
    request: Request[Any, Any, Any], body: bytes, media_type: str, headers: dict[str, str]
) -> Response[bytes]:
    """``body`` in brotli or gzip as the client accepts (server/encoding.py), else plain."""
    encoding = choose_encoding(request.headers.get("accept-encoding"))
    vary = ", ".join(v for v in (headers.get("Vary"), "Accept-Encoding") if v)
    digest = hashlib.sha256(body).hexdigest()[:16]
    etag = f'"{digest}-{encoding}"' if encoding else f'"{digest}"'
    out = {**headers, "Vary": vary, "ETag": etag}
    # the worker's install revalidates what the page just loaded: 304, no body again
    if etag in {t.strip() for t in request.headers.get("if-none-match", "").split(",")}:
        return Response(b"", status_code=304, media_type=media_type, headers=out)
    if encoding is not None:
        out["Content-Encoding"] = encoding
        body = _packed(body, encoding)
    return Response(body, media_type=media_type, headers=out)


def _render(request: Request[Any, Any, Any], name: str, context: dict[str, Any]) -> bytes:
    engine: Any = request.app.template_engine
    return str(engine.get_template(name).render(**context)).encode()


def _static_files() -> list[Path]:
    found: set[Path] = set()
    for pattern in STATIC_GLOBS:
        found.update(p for p in STATIC_DIR.glob(pattern) if p.is_file())
    return sorted(found)


def _versioned_inputs(build: Bundle) -> list[Path]:
    """Everything whose change must reach the phones: precached files, the worker,
    templates, catalogs."""
    extra = [
        *(build.path(name) for name in BUNDLE_FILES),
        build.path("sw.js"),
        LABELS_SOURCE,
        *APP_TEMPLATES.glob("*.html"),
        *LOCALE_DIR.glob("*/LC_MESSAGES/*.po"),
    ]
    return sorted({*_static_files(), *(p for p in extra if p.is_file())})


def cache_version(build: str = "") -> str:
    """``<app version>[-<build>]-<hash>``: changes whenever a precached file changes."""
    head = f"{__version__}-{build}" if build else __version__
    return f"{head}-{files_digest(files_signature(_versioned_inputs(bundle())))[:12]}"


def app_urls() -> dict[str, str]:
    """The bundle's script and stylesheet as immutable URLs (``?v=<content hash>``)."""
    build = bundle()
    return {name: static_url(build.static_path(name)) for name in BUNDLE_FILES}


def precache_urls() -> list[str]:
    """What the worker stores on install. The bundle's files under the very URLs the page
    loads them from: the install revalidates what the page just loaded (a 304)."""
    statics = [f"/static/{p.relative_to(STATIC_DIR).as_posix()}" for p in _static_files()]
    return [*SHELL_PAGES, *app_urls().values(), *statics]


def _worker_text(version: str) -> str:
    head = (
        "// Generated by server/web/pwa.py from web/static/sw.js (bundled with the modules it\n"
        "// imports): the constants below change with every precached file, which is what\n"
        "// makes the browser install a new worker.\n"
        f"const VERSION = {json.dumps(version)};\n"
        f"const PRECACHE = {json.dumps(precache_urls())};\n"
    )
    return head + bundle().path("sw.js").read_text(encoding="utf-8")


@get("/sw.js", include_in_schema=False)
async def service_worker(request: Request[Any, Any, Any], settings: AppSettings) -> Response[bytes]:
    return _negotiated(
        request,
        _worker_text(cache_version(settings.app_build)).encode(),
        "text/javascript",
        {**NO_CACHE, "Service-Worker-Allowed": "/"},
    )


def _app_context(settings: AppSettings) -> dict[str, Any]:
    locale = i18n.get_locale()
    other = "en" if locale == "zh_CN" else "zh_CN"
    return {
        "app_build": cache_version(settings.app_build),
        "locale": locale,
        "other_locale": other,
        "theme_colour": THEME_COLOUR,
        # the app's code and stylesheet: one file each (server/web/bundle.py)
        "app_urls": app_urls(),
        # the code labels the scripts show (the enums block of app/_strings.html)
        "value_labels": labels(),
    }


@get("/app", include_in_schema=False)
async def app_shell(request: Request[Any, Any, Any], settings: AppSettings) -> Response[bytes]:
    # User-independent on purpose: the worker caches this one page for every user (so it
    # holds no secret, and compressing it leaks none).
    body = _render(request, "app/shell.html", _app_context(settings))
    return _negotiated(request, body, MediaType.HTML, {**NO_CACHE, "Vary": "Cookie"})


@get("/offline", include_in_schema=False)
async def offline_page(request: Request[Any, Any, Any], settings: AppSettings) -> Response[bytes]:
    body = _render(request, "app/offline.html", _app_context(settings))
    return _negotiated(request, body, MediaType.HTML, {**NO_CACHE, "Vary": "Cookie"})


def manifest() -> dict[str, Any]:
    icons = [
        {"src": f"/static/icons/icon-{kind}{size}.png", "sizes": f"{size}x{size}",
         "type": "image/png", "purpose": "maskable" if kind else "any"}
        for kind in ("", "maskable-")
        for size in (192, 512)
    ]  # fmt: skip
    return {
        "id": "/app",
        "name": "网格防控",
        "short_name": "网格防控",
        "description": "网格员离线工作台：户籍台账、入户排查、健康监测、日报告",
        "lang": "zh-CN",
        "dir": "ltr",
        "start_url": "/app",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "categories": ["medical", "productivity"],
        "icons": icons,
    }


@get("/manifest.webmanifest", include_in_schema=False)
async def web_manifest(request: Request[Any, Any, Any]) -> Response[bytes]:
    body = json.dumps(manifest(), ensure_ascii=False).encode()
    return _negotiated(request, body, "application/manifest+json", NO_CACHE)


ROUTES: list[ControllerRouterHandler] = [service_worker, app_shell, offline_page, web_manifest]
