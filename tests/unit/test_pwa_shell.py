"""The field app precaches what it uses and nothing else: htmx serves the server-rendered
pages, which are never offline, and would add ~17 KB gzip to every install over 2G. Its
code comes as one bundle (server/web/bundle.py), never older than the modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.web import bundle as bundles
from server.web.pwa import STATIC_DIR, app_urls, precache_urls


def test_the_shell_carries_no_vendored_page_library() -> None:
    urls = precache_urls()
    # the scanner's QR decoder is the one vendored file the field app uses offline
    assert [u for u in urls if u.startswith("/static/vendor/")] == ["/static/vendor/jsQR.min.js"]
    assert (STATIC_DIR / "vendor" / "htmx.min.js").is_file()  # still served to the pages


def test_the_shell_carries_the_bundle_not_the_modules() -> None:
    urls = precache_urls()
    assert {"/app", "/offline", "/manifest.webmanifest"} <= set(urls)
    build = bundles.bundle()
    for name in ("app.js", "app.css"):
        # the very URL the page loads it from, immutable (?v=<hash of its bytes>)
        assert app_urls()[name] in urls
        assert app_urls()[name].startswith(f"/static/{build.static_path(name)}?v=")
    assert not [u for u in urls if u.startswith("/static/js/") or u.startswith("/static/css/")]
    assert "/static/css/site.css" not in urls  # the pages' stylesheet, not the app's


def test_the_bundle_holds_the_app_and_the_worker_its_modules() -> None:
    build = bundles.bundle()
    app = build.path("app.js").read_text(encoding="utf-8")
    worker = build.path("sw.js").read_text(encoding="utf-8")
    assert not any(line.startswith("import") for line in app.splitlines())
    assert "wangge:list" in app  # from screens/households.js
    assert "recache-shell" in worker  # from sw.js
    assert "wangge-sync-u" in worker  # the sync lock, from js/sync.js
    assert not any(line.startswith("import") for line in worker.splitlines())
    css = build.path("app.css").read_text(encoding="utf-8")
    assert len(css) < (STATIC_DIR / "css" / "app.css").stat().st_size  # minified


def test_a_changed_source_gets_a_new_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    extra = tmp_path / "extra.js"
    extra.write_text("export const x = 1;\n")
    real = bundles.source_files()
    monkeypatch.setattr(bundles, "ROOT", Path("/"))
    monkeypatch.setattr(bundles, "BUILD_DIR", tmp_path / "build")
    monkeypatch.setattr(bundles, "source_files", lambda: [*real, extra])
    first = bundles.bundle()
    assert first.folder.parent == tmp_path / "build"
    assert all(first.path(name).is_file() for name in bundles.OUTPUTS)
    assert bundles.bundle() == first  # nothing changed: no new build
    extra.write_text("export const x = 2;\n")
    second = bundles.bundle()
    assert second != first
    assert all(second.path(name).is_file() for name in bundles.OUTPUTS)
    assert first.folder.is_dir()  # a page still open may ask for the older files
    assert not [p for p in (tmp_path / "build").iterdir() if p.name.startswith(".tmp-")]


def test_a_missing_esbuild_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundles, "BUILD_DIR", tmp_path / "build")
    monkeypatch.setattr(bundles, "ESBUILD", tmp_path / "no-esbuild")
    with pytest.raises(bundles.BundleError, match="make install"):
        bundles.bundle()
