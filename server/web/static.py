"""Static files (web/static), precompressed and served in the encoding the client accepts.

Each file is read once and kept with its brotli (quality 11) and gzip forms, made the first
time it is asked for and again when it changes on disk (``python -m server run`` warms
them all at startup: :func:`precompress_all`). A response carries:

- ``Content-Encoding`` br or gzip as ``Accept-Encoding`` allows (server/encoding.py),
  ``Vary: Accept-Encoding``, and the plain bytes to a client that accepts neither;
- a strong ``ETag`` per representation; ``If-None-Match`` with it answers 304;
- ``Cache-Control: public, max-age=31536000, immutable`` when the URL names the file's
  content hash (``?v=<hash>``, as :func:`static_url` writes it): a changed file gets a new
  URL. Any other URL gets ``no-cache``: the browser revalidates (304, no body).
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litestar import HttpMethod, Request, Response, route
from litestar.params import FromPath

from server.encoding import BR, GZIP, choose_encoding, compress
from server.errors import NotFound
from server.i18n import gettext as _

ROOT = Path(__file__).resolve().parent.parent.parent
STATIC_DIR = ROOT / "web" / "static"
#: text the compressors shrink; images (PNG) are compressed already
COMPRESSIBLE = frozenset({".js", ".css", ".svg", ".json", ".html", ".txt", ".webmanifest"})
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
HASH_LENGTH = 12
MEDIA_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".webmanifest": "application/manifest+json",
}


@dataclass
class StaticFile:
    """One file's bytes in each encoding (None: plain) and what identifies them."""

    stamp: tuple[int, int]
    digest: str
    media_type: str
    bodies: dict[str | None, bytes] = field(default_factory=dict)

    def etag(self, encoding: str | None) -> str:
        return f'"{self.digest}{"-" + encoding if encoding else ""}"'

    @property
    def encodings(self) -> tuple[str, ...]:
        return tuple(e for e in (BR, GZIP) if e in self.bodies)


_files: dict[Path, StaticFile] = {}
_lock = threading.Lock()


def _media_type(path: Path) -> str:
    if path.suffix in MEDIA_TYPES:
        return MEDIA_TYPES[path.suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def load(path: Path) -> StaticFile:
    """The file's entry, made (compressed) again when its size or mtime changed."""
    stat = path.stat()
    stamp = (stat.st_mtime_ns, stat.st_size)
    entry = _files.get(path)
    if entry is not None and entry.stamp == stamp:
        return entry
    raw = path.read_bytes()
    entry = StaticFile(
        stamp=stamp,
        digest=hashlib.sha256(raw).hexdigest()[:HASH_LENGTH],
        media_type=_media_type(path),
        bodies={None: raw},
    )
    if path.suffix in COMPRESSIBLE:
        for encoding in (BR, GZIP):
            packed = compress(raw, encoding, quality=11)
            if len(packed) < len(raw):
                entry.bodies[encoding] = packed
    with _lock:
        _files[path] = entry
    return entry


def precompress_all() -> int:
    """Compress every static file now (at startup), so no request waits for brotli 11."""
    count = 0
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            try:
                load(path)
            except FileNotFoundError:  # a build folder renamed or pruned meanwhile
                continue
            count += 1
    return count


_warming: list[threading.Thread] = []


def warm_static() -> None:
    """Start :func:`precompress_all` in a daemon thread, once per process."""
    if not _warming:
        thread = threading.Thread(target=precompress_all, name="precompress", daemon=True)
        _warming.append(thread)
        thread.start()


def resolve(file_path: str) -> Path | None:
    """The file under STATIC_DIR that ``file_path`` names, or None (outside it, missing)."""
    candidate = (STATIC_DIR / file_path.lstrip("/")).resolve()
    if not candidate.is_relative_to(STATIC_DIR) or not candidate.is_file():
        return None
    return candidate


def static_url(file_path: str) -> str:
    """``/static/<file_path>?v=<content hash>``: an immutable URL for templates."""
    path = resolve(file_path)
    if path is None:
        raise ValueError(f"no static file {file_path!r}")
    return f"/static/{file_path.lstrip('/')}?v={load(path).digest}"


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag in tags


def respond(
    entry: StaticFile,
    accept_encoding: str | None,
    if_none_match: str | None,
    version: str | None,
) -> tuple[int, bytes, dict[str, str]]:
    """Status, body and headers for one request of a static file (no I/O)."""
    encoding = choose_encoding(accept_encoding, entry.encodings)
    etag = entry.etag(encoding)
    headers = {
        "ETag": etag,
        "Cache-Control": IMMUTABLE if version == entry.digest else REVALIDATE,
    }
    if entry.encodings:
        headers["Vary"] = "Accept-Encoding"
    if _matches(if_none_match, etag):
        return 304, b"", headers
    if encoding:
        headers["Content-Encoding"] = encoding
    return 200, entry.bodies[encoding], headers


# HEAD too: link checkers, proxies and caches ask it before a download
@route(
    "/static/{file_path:path}",
    http_method=[HttpMethod.GET, HttpMethod.HEAD],
    include_in_schema=False,
    sync_to_thread=True,
)
def static_file(request: Request[Any, Any, Any], file_path: FromPath[str]) -> Response[bytes]:
    path = resolve(file_path)
    if path is None:
        raise NotFound(_("No such file."), code="not_found")
    entry = load(path)
    status, body, headers = respond(
        entry,
        request.headers.get("accept-encoding"),
        request.headers.get("if-none-match"),
        request.query_params.get("v"),
    )
    if request.method == HttpMethod.HEAD:
        body = b""  # the same headers as GET, no body
    return Response(body, status_code=status, media_type=entry.media_type, headers=headers)
