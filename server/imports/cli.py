"""``python -m server import FILE --area CODE``: the page's check and write, from a shell,
with the same report (in Chinese unless WANGGE_LANG says otherwise)."""

from __future__ import annotations

import time

from sqlalchemy import select

from server.accounts.guard import Principal
from server.accounts.models import User
from server.areas.models import Area
from server.config import Settings
from server.db import make_engine, make_sessionmaker, transaction, utcnow
from server.i18n import gettext as _
from server.i18n import using_locale
from server.imports.columns import column_title
from server.imports.run import apply_plan, check_file
from server.imports.sheet import SheetError
from server.imports.validate import Plan
from server.registry import REGISTRY
from server.timeutil import local_today


def report(plan: Plan) -> str:
    """The check's outcome as lines of text, as the preview page lists it."""
    lines = [
        _(
            "%(rows)s rows: %(h)s new households, %(p)s new persons, %(w)s records to write, "
            "%(u)s unchanged, %(e)s errors.",
            rows=plan.rows,
            h=plan.new_households,
            p=plan.new_persons,
            w=len(plan.writes),
            u=plan.unchanged,
            e=len(plan.issues),
        )
    ]
    for issue in plan.issues:
        where = column_title(issue.column) if issue.column else ""
        lines.append(f"{_('Row %(n)s', n=issue.row)}\t{where}\t{issue.message}")
    return "\n".join(lines)


async def import_cli(
    settings: Settings,
    *,
    content: bytes,
    filename: str,
    area_code: str,
    dry_run: bool,
    locale: str = "zh_CN",
) -> tuple[int, str]:
    """(exit code, report). The import acts as an active admin whose area holds ``area``,
    limited to that area's subtree; nothing is written if any row has an error."""
    engine = make_engine(settings.database_url)
    try:
        with using_locale(locale):
            async with transaction(make_sessionmaker(engine)) as session:
                area = (
                    await session.execute(select(Area).where(Area.code == area_code))
                ).scalar_one_or_none()
                if area is None:
                    raise ValueError(f"no area with code {area_code!r}")
                admins = (
                    await session.execute(
                        select(User, Area.path)
                        .join(Area, Area.id == User.area_id)
                        .where(User.role == "admin", User.active.is_(True))
                        .order_by(User.id)
                    )
                ).all()
                user = next((u for u, p in admins if area.path.startswith(p)), None)
                if user is None:
                    raise ValueError(f"no active admin covers area {area_code!r}")
                principal = Principal(user.id, "admin", area.id, area.path)
                today = local_today(utcnow(), settings.timezone)
                try:
                    plan, _ignored = await check_file(session, principal, content, filename, today)
                except SheetError as error:
                    return 1, str(error)
                text = report(plan)
                if plan.issues or dry_run:
                    return (1 if plan.issues else 0), text
                started = time.monotonic()
                await apply_plan(session, REGISTRY, user, principal, plan)
            seconds = time.monotonic() - started
            return 0, text + "\n" + _("Written in %(s)s s.", s=f"{seconds:.1f}")
    finally:
        await engine.dispose()
