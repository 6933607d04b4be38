"""Draw the app icons (192 and 512 px, plain and maskable) as PNG with the stdlib only.

Run: ``python tools/make_icons.py`` (writes web/static/icons/). The picture is a 3x3 grid
of cells (网格) with the centre cell marked: no text, so it reads in every language.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "web" / "static" / "icons"

BACKGROUND = (15, 118, 110)  # teal, the manifest's theme colour #0f766e
CELL = (255, 255, 255)
MARK = (245, 158, 11)  # amber: the household that needs attention

RGBA = tuple[int, int, int, int]


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png_bytes(width: int, height: int, pixels: list[list[RGBA]]) -> bytes:
    """An 8-bit RGBA PNG; each row gets filter type 0."""
    raw = bytearray()
    for row in pixels:
        raw.append(0)
        for r, g, b, a in row:
            raw += bytes((r, g, b, a))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + _chunk(b"IEND", b"")
    )


def _rounded_alpha(x: float, y: float, size: int, radius: float) -> float:
    """Coverage (0..1) of pixel centre (x, y) by a square of `size` with rounded corners."""
    cx = min(max(x, radius), size - radius)
    cy = min(max(y, radius), size - radius)
    d = math.hypot(x - cx, y - cy)
    return max(0.0, min(1.0, radius - d + 0.5))


def draw(size: int, maskable: bool) -> list[list[RGBA]]:
    # Maskable icons may be cut to a circle of 80% diameter: keep the grid well inside it.
    content = 0.46 if maskable else 0.64
    grid = size * content
    gap = grid * 0.09
    cell = (grid - 2 * gap) / 3
    origin = (size - grid) / 2
    cells = [
        (origin + i * (cell + gap), origin + j * (cell + gap), i == 1 and j == 1)
        for j in range(3)
        for i in range(3)
    ]
    corner = size * 0.18
    rows: list[list[RGBA]] = []
    for py in range(size):
        row: list[RGBA] = []
        y = py + 0.5
        for px in range(size):
            x = px + 0.5
            alpha = 1.0 if maskable else _rounded_alpha(x, y, size, corner)
            colour = BACKGROUND
            for cx, cy, marked in cells:
                if cx <= x < cx + cell and cy <= y < cy + cell:
                    colour = MARK if marked else CELL
                    break
            row.append((*colour, round(alpha * 255)))
        rows.append(row)
    return rows


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        for maskable in (False, True):
            name = f"icon-{'maskable-' if maskable else ''}{size}.png"
            (OUT / name).write_bytes(png_bytes(size, size, draw(size, maskable)))


if __name__ == "__main__":
    main()
