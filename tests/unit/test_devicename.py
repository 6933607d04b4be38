"""Devices are named after the role's app and the phone the User-Agent describes."""

from __future__ import annotations

import pytest

from server.accounts.devicename import device_name, phone_from_user_agent

ANDROID = (
    "Mozilla/5.0 (Linux; Android 10; SM-G9730 Build/QP1A.190711.020; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/87.0.4280.141 Mobile Safari/537.36"
)
ANDROID_REDUCED = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1"
)
HARMONY = (
    "Mozilla/5.0 (Linux; Android 12; HarmonyOS; NOH-AN00; HMSCore 6.11) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/99.0.4844.88 HuaweiBrowser/14.0 Mobile Safari/537.36"
)
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120"


@pytest.mark.parametrize(
    ("ua", "expected"),
    [
        (ANDROID, "SM-G9730（Android 10）"),
        (ANDROID_REDUCED, "Android 10"),  # Chrome hides the model: "K"
        (IPHONE, "iPhone（iOS 16.6）"),
        (HARMONY, "NOH-AN00（HarmonyOS）"),
        (DESKTOP, "Linux"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "Windows"),
        ("", ""),
        ("curl/8.0", ""),
    ],
)
def test_phone_from_user_agent(ua: str, expected: str) -> None:
    assert phone_from_user_agent(ua) == expected


def _same(text: str) -> str:
    return text


@pytest.mark.parametrize(
    ("role", "ua", "expected"),
    [
        ("grid_worker", ANDROID, "Grid worker's app · SM-G9730（Android 10）"),
        ("sentinel", IPHONE, "Sentinel's app · iPhone（iOS 16.6）"),
        ("supervisor", DESKTOP, "Supervisor's app · Linux"),
        ("admin", "", "Administrator's app"),
        ("nobody", "", "Field app"),
    ],
)
def test_device_name(role: str, ua: str, expected: str) -> None:
    assert device_name(role, ua, _same) == expected
