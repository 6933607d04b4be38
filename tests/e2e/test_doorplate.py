"""QR doorplates (一户一码): the printed sheet holds one code per household that decodes
back to it, and scanning a code in the field app opens that household, offline too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import segno
from playwright.sync_api import Page, Playwright

from devkit.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT
from tests.e2e.conftest import LiveServer, shot
from tests.e2e.fixtures import SUPERVISOR, hid
from tests.e2e.helpers import sign_in, sign_in_web, wait_worker

pytestmark = pytest.mark.e2e
SCREENSHOTS = Path(__file__).parent / "screenshots"


def keep(page: Page, name: str) -> None:
    shot(page, name)


def qr_png(tmp_path: Path, text: str, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    segno.make(text, error="m").save(str(path), scale=10, border=4, dark="#222", light="#f4f1e8")
    return path


def scan_file(page: Page, path: Path) -> None:
    page.set_input_files("#scan-file", str(path))


def test_a_doorplate_scan_opens_the_household(
    page: Page, server: LiveServer, tmp_path: Path
) -> None:
    sign_in(page)
    wait_worker(page)
    page.click("#hh-scan")
    page.wait_for_selector("#scan-file", state="attached")
    # No camera in the test browser: the screen says so and the photo path remains.
    page.wait_for_function("document.querySelector('#scan-state').textContent.length > 0")
    keep(page, "scanner-360")

    # Offline: the decoder comes from the service worker's precache.
    page.context.set_offline(True)
    scan_file(page, qr_png(tmp_path, "https://example.com/", "other"))
    page.wait_for_function(
        "document.querySelector('#scan-state').dataset.state === 'error' && "
        "document.querySelector('#scan-state').textContent.includes('不是网格防控的门牌码')"
    )
    scan_file(page, qr_png(tmp_path, f"wangge:h:{hid(13)}", "grid-b"))  # another grid's
    page.wait_for_function(
        "document.querySelector('#scan-state').textContent.includes('不在您的台账中')"
    )
    keep(page, "scanner-unknown-360")
    blank = tmp_path / "blank.png"
    segno.make("x").save(str(blank), scale=1, border=0, dark="#fff", light="#fff")
    scan_file(page, blank)
    page.wait_for_function(
        "document.querySelector('#scan-state').textContent.includes('没有找到二维码')"
    )
    scan_file(page, qr_png(tmp_path, f"wangge:h:{hid(3)}", "mine"))
    page.wait_for_function("(h) => location.hash === h", arg=f"#/h/{hid(3)}")
    page.wait_for_selector("#members")
    (name,) = server.query(
        "select head_name from households where id = ?", (hid(3).replace("-", ""),)
    )[0]
    assert page.inner_text("h1") == name
    page.context.set_offline(False)


def test_the_sheet_prints_a_code_per_household_that_decodes_back(
    page: Page, server: LiveServer
) -> None:
    sign_in_web(page, SUPERVISOR, "/doorplates")
    grid = server.query("select id from areas where code = 'E2E-G1'")[0][0]
    page.select_option("#d-grid", str(grid))
    page.click("#doorplate-pick button[type=submit]")
    page.wait_for_selector("figure.plate")
    plates = page.locator("figure.plate")
    assert plates.count() == 12
    households = {r[0] for r in server.query(
        "select id from households where area_id = ? and deleted = 0", (grid,))}  # fmt: skip
    codes = page.eval_on_selector_all(
        "figure.plate", "els => els.map(e => [e.dataset.household, e.dataset.code])"
    )
    assert {h.replace("-", "") for h, _c in codes} == {h.replace("-", "") for h in households}
    assert all(code == f"wangge:h:{h}" for h, code in codes)
    # Each printed symbol is the one segno makes for its code.
    first = page.inner_html("figure.plate >> nth=0")
    path = re.search(r'<path[^>]* d="([^"]+)"', first)
    assert path is not None
    svg = segno.make(codes[0][1], error="m", micro=False).svg_inline(scale=1, omitsize=True)
    assert path.group(1) in svg
    # And every symbol decodes back in the browser, with the scanner's own decoder.
    page.add_script_tag(url="/static/vendor/jsQR.min.js")
    decoded = page.evaluate(
        """async () => {
          const out = [];
          for (const fig of document.querySelectorAll('figure.plate')) {
            const svg = fig.querySelector('svg');
            const xml = new XMLSerializer().serializeToString(svg)
              .replace('<svg ', '<svg width="330" height="330" ');
            const img = new Image();
            img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(xml);
            await img.decode();
            const c = document.createElement('canvas');
            c.width = 360; c.height = 360;
            const ctx = c.getContext('2d');
            ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, 360, 360);
            ctx.drawImage(img, 15, 15, 330, 330);
            const found = jsQR(ctx.getImageData(0, 0, 360, 360).data, 360, 360);
            out.push(found ? found.data : null);
          }
          return out;
        }"""
    )
    assert decoded == [code for _h, code in codes]
    keep(page, "doorplates-360")
    page.set_viewport_size({"width": 1280, "height": 900})
    keep(page, "doorplates-desktop")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    keep(page, "doorplates-print-a4")
    pdf = page.pdf(format="A4", print_background=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1  # 12 households: one A4 page
    (SCREENSHOTS / "doorplates.pdf").write_bytes(pdf)


def y4m_of(text: str, path: Path, width: int = 640, height: int = 480) -> Path:
    """A still video (Y4M, 4:2:0) of a QR code on white, for Chromium's fake camera."""
    matrix = [list(row) for row in segno.make(text, error="m").matrix]
    modules = len(matrix) + 8  # with the quiet zone
    scale = (min(width, height) - 40) // modules
    left = (width - modules * scale) // 2 + 4 * scale
    top = (height - modules * scale) // 2 + 4 * scale
    luma = bytearray([235]) * (width * height)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                for y in range(top + r * scale, top + (r + 1) * scale):
                    start = y * width + left + c * scale
                    luma[start : start + scale] = bytes([16]) * scale
    chroma = bytes([128]) * (width // 2 * (height // 2))
    frame = b"FRAME\n" + bytes(luma) + chroma + chroma
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + frame * 5)
    return path


def test_the_camera_scans_a_doorplate(
    playwright: Playwright, server: LiveServer, tmp_path: Path
) -> None:
    """The live path: Chromium's fake camera plays a still of a doorplate's code."""
    video = y4m_of(f"wangge:h:{hid(5)}", tmp_path / "doorplate.y4m")
    fake = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
    args = [*CHROMIUM_ARGS, *fake, f"--use-file-for-fake-video-capture={video}"]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
    try:
        ctx = browser.new_context(viewport=VIEWPORT, base_url=server.url, locale="zh-CN",
                                  permissions=["camera"], bypass_csp=True)  # fmt: skip
        ctx.set_default_timeout(30_000)
        page = ctx.new_page()
        sign_in(page)
        page.click("#hh-scan")
        page.wait_for_function("(h) => location.hash === h", arg=f"#/h/{hid(5)}")
        page.wait_for_selector("#members")
        # the camera is let go once the household opens
        assert page.evaluate("document.querySelector('#scan-video') === null")
    finally:
        browser.close()
