"""The application factory. Nothing here runs at import time: ``create_app`` wires it all."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.enums import ScopeType
from litestar.openapi.config import OpenAPIConfig
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from litestar.types import ASGIApp, ControllerRouterHandler, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server import __version__, i18n, security_headers
from server.accounts import lifetimes
from server.accounts.auth import EXCEPTION_HANDLERS as AUTH_EXCEPTION_HANDLERS
from server.accounts.deps import DEPENDENCIES as IDENTITY_DEPENDENCIES
from server.accounts.throttle import EXCEPTION_HANDLERS as THROTTLE_EXCEPTION_HANDLERS
from server.alerts import live
from server.config import Settings, with_secret_key
from server.db import make_engine, make_sessionmaker
from server.deps import SESSIONMAKER, SETTINGS, close_unused_session, provide_session
from server.errors import DomainError
from server.http_errors import exception_handlers
from server.sync.spec.collections import Registry
from server.web.bundle import warm_bundle
from server.web.static import warm_static
from server.web.templating import configure_templates

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "web" / "templates"
STATIC_DIR = ROOT / "web" / "static"

log = logging.getLogger("wangge")


def _route_handlers() -> list[ControllerRouterHandler]:
    # Imported here, not at module top, so importing server.app stays side-effect free.
    from server.accounts.routes import ROUTES as account_routes
    from server.health import ROUTES as health_routes
    from server.sync.routes import ROUTES as sync_routes
    from server.web.activity import ROUTES as activity_routes
    from server.web.admin import ROUTES as admin_routes
    from server.web.alerts import ROUTES as alert_routes
    from server.web.areas import ROUTES as area_routes
    from server.web.audit_view import ROUTES as audit_routes
    from server.web.conflicts import ROUTES as conflict_routes
    from server.web.exports import ROUTES as export_routes
    from server.web.inbox import ROUTES as inbox_routes
    from server.web.lists import ROUTES as list_routes
    from server.web.persons import ROUTES as person_routes
    from server.web.pwa import ROUTES as pwa_routes
    from server.web.reminders import ROUTES as reminder_routes
    from server.web.routes import ROUTES as page_routes
    from server.web.static import static_file

    return [
        *health_routes,
        *account_routes,
        *sync_routes,
        *page_routes,
        *inbox_routes,
        *alert_routes,
        *area_routes,
        *list_routes,
        *reminder_routes,
        *person_routes,
        *conflict_routes,
        *export_routes,
        *audit_routes,
        *activity_routes,
        *admin_routes,
        *pwa_routes,
        static_file,
    ]


def _locale_from_cookie(app: ASGIApp) -> ASGIApp:
    """Every request starts in the language of its cookie (Chinese without one), before
    guards run, so their refusals are translated too; an API call then switches to its
    user's language once the caller is known (server/accounts/auth.py ``identify``)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            cookies = ASGIConnection[Any, Any, Any, Any](scope).cookies
            i18n.set_locale(i18n.pick_locale(cookies.get(i18n.LOCALE_COOKIE)))
        await app(scope, receive, send)

    return middleware


def _lifetimes(settings: Settings) -> Callable[[ASGIApp], ASGIApp]:
    """Token and session lifetimes of this app, for the checks deep in the sync engine
    and the identity helpers (server/accounts/lifetimes.py)."""

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            lifetimes.use(settings)
            await app(scope, receive, send)

        return middleware

    return factory


_frozen = False


def _freeze_loaded_code() -> None:
    """Move what exists once the first app of this process has started (modules, mappers,
    templates: some 125,000 objects) out of the garbage collector's view. A full
    collection walked them all, about 100 ms that every request in flight waited out.
    Measured with 10 devices syncing back to back (p99): PostgreSQL about 410 → 220 to
    330 ms, SQLite 520 → 354 ms. Not preceded by ``gc.collect()``: with it, SQLite's
    throughput fell by a third (328 → 212 mutations/s; measured, not explained). Once
    per process: a test run that starts many apps freezes only the first one's."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()


def create_app(settings: Settings | None = None) -> Litestar:
    settings = with_secret_key(settings or Settings.from_env())
    engine = make_engine(settings.database_url)
    sessionmaker = make_sessionmaker(engine)

    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        # open pages hear of fever reports and alerts written by any process (PostgreSQL)
        listener = live.start_listener(settings.database_url)
        # the field app's bundle built when its sources changed (server/web/bundle.py), then
        # static files compressed (brotli 11, gzip) in the background, not on a request
        warm_bundle()
        warm_static()
        _freeze_loaded_code()
        try:
            yield
        finally:
            await live.stop_listener(listener)
            await engine.dispose()

    def provide_settings() -> Settings:
        return settings

    def provide_db() -> async_sessionmaker[AsyncSession]:
        return sessionmaker

    from server.registry import REGISTRY

    def provide_registry() -> Registry:
        return REGISTRY

    app = Litestar(
        route_handlers=_route_handlers(),
        dependencies={
            "settings": Provide(provide_settings, sync_to_thread=False),
            "db": Provide(provide_db, sync_to_thread=False),
            "session": Provide(provide_session),
            **IDENTITY_DEPENDENCIES,
            "registry": Provide(provide_registry, sync_to_thread=False),
        },
        exception_handlers={
            **exception_handlers(),
            **AUTH_EXCEPTION_HANDLERS,
            **THROTTLE_EXCEPTION_HANDLERS,
        },
        template_config=TemplateConfig(
            directory=TEMPLATES_DIR,
            engine=JinjaTemplateEngine,
            engine_callback=lambda jinja: configure_templates(jinja, settings),
        ),
        openapi_config=OpenAPIConfig(title="Wangge 网格防控", version=__version__, path="/schema"),
        request_max_body_size=settings.max_body_bytes,
        lifespan=[lifespan],
        middleware=[_locale_from_cookie, _lifetimes(settings)],
        before_send=[close_unused_session, security_headers.before_send(settings)],
        # pages' handlers get an HTMXRequest (request.htmx) and may answer with HTMXTemplate
        plugins=[HTMXPlugin()],
        debug=settings.debug,
    )
    # for guards, which get no dependencies (server/deps.py)
    app.state[SESSIONMAKER] = sessionmaker
    app.state[SETTINGS] = settings
    return app


__all__ = ["DomainError", "create_app"]
