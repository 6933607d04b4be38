"""How a device is named in the user's device list: the role's app and the phone, as
"网格员工作台 · SM-G9730（Android 10）", so a user with two phones tells them apart and an
administrator sees which app each device runs. Pure; the User-Agent header is the input.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from server.accounts.values import Role

_ANDROID = re.compile(r"Android ([0-9.]+)")
_IOS = re.compile(r"(iPhone|iPad|iPod).*? OS ([0-9_]+)")
_HARMONY = re.compile(r"HarmonyOS[ /]?([0-9.]*)")
_FIRST_PARENS = re.compile(r"\(([^)]*)\)")
# parts of an Android User-Agent's first parentheses that are no phone model ("K" is
# Chrome's placeholder where it hides the model)
_NOT_A_MODEL = re.compile(
    r"^(?:K|wv|U|Linux|Mobile|Android.*|HarmonyOS.*|HMSCore.*|[a-z]{2}[-_][A-Za-z]{2})$"
)


def app_names(_: Callable[[str], str]) -> dict[str, str]:
    """Each role's app, in the language `_` puts it into (written `_` for extraction)."""
    return {
        Role.GRID_WORKER: _("Grid worker's app"),
        Role.SENTINEL: _("Sentinel's app"),
        Role.TOWNSHIP_HEALTH: _("Township health app"),
        Role.SUPERVISOR: _("Supervisor's app"),
        Role.ADMIN: _("Administrator's app"),
    }


def phone_from_user_agent(user_agent: str) -> str:
    """The phone's model and system as a person would say them; "" when unknown."""
    ua = user_agent or ""
    harmony = _HARMONY.search(ua)
    android = _ANDROID.search(ua)
    if android:
        system = (
            f"HarmonyOS {harmony.group(1)}".strip() if harmony else f"Android {android.group(1)}"
        )
        parens = _FIRST_PARENS.search(ua)
        parts = [
            p.split(" Build/")[0].strip() for p in (parens.group(1) if parens else "").split(";")
        ]
        models = [p for p in parts if p and not _NOT_A_MODEL.match(p)]
        return f"{models[0]}（{system}）" if models else system
    ios = _IOS.search(ua)
    if ios:
        return f"{ios.group(1)}（iOS {ios.group(2).replace('_', '.')}）"
    for marker, system in (
        ("Windows", "Windows"),
        ("Macintosh", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ):
        if marker in ua:
            return system
    return ""


def device_name(role: str, user_agent: str, _: Callable[[str], str]) -> str:
    """``<role's app> · <phone>``, or the app alone when the phone cannot be told."""
    app = app_names(_).get(role, _("Field app"))
    phone = phone_from_user_agent(user_agent)
    return f"{app} · {phone}"[:80] if phone else app
