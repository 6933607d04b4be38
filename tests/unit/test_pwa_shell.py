"""The field app precaches what it uses and nothing else: htmx serves the server-rendered
pages, which are never offline, and would add ~17 KB gzip to every install over 2G."""

from __future__ import annotations

from server.web.pwa import STATIC_DIR, precache_urls


def test_the_shell_carries_no_vendored_page_library() -> None:
    urls = precache_urls()
    # the scanner's QR decoder is the one vendored file the field app uses offline
    assert [u for u in urls if u.startswith("/static/vendor/")] == ["/static/vendor/jsQR.min.js"]
    assert (STATIC_DIR / "vendor" / "htmx.min.js").is_file()  # still served to the pages


def test_the_shell_still_carries_the_app() -> None:
    urls = set(precache_urls())
    assert {"/app", "/offline", "/manifest.webmanifest", "/static/js/main.js"} <= urls
    assert "/static/css/app.css" in urls
    assert "/static/css/site.css" not in urls  # the pages' stylesheet, not the app's
