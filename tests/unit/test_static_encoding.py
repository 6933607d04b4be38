"""Which encoding a response gets for which Accept-Encoding, and the static files'
caching headers (server/encoding.py, server/web/static.py)."""

from __future__ import annotations

import gzip

import brotli
import pytest

from server.encoding import choose_encoding, compress
from server.web import static
from server.web.static import IMMUTABLE, REVALIDATE, StaticFile, respond


@pytest.mark.parametrize(
    ("header", "chosen"),
    [
        (None, None),
        ("", None),
        ("identity", None),
        ("gzip", "gzip"),
        ("x-gzip", "gzip"),
        ("deflate", None),
        ("gzip, deflate, br", "br"),  # a browser over HTTPS: ours is the order
        ("gzip, deflate, br, zstd", "br"),
        ("br;q=0.5, gzip", "gzip"),  # the client's weights win over our order
        ("br;q=0, gzip;q=0.1", "gzip"),
        ("br;q=0, gzip;q=0", None),
        ("*", "br"),
        ("*;q=0.2, br;q=0", "gzip"),
        ("BR", "br"),
        ("gzip;q=banana, br;q=0", None),  # a malformed weight counts as refused
        (" gzip ; q=1.0 ,br ; q=0.9", "gzip"),
    ],
)
def test_choose_encoding(header: str | None, chosen: str | None) -> None:
    assert choose_encoding(header) == chosen


def test_choose_encoding_only_from_what_is_offered() -> None:
    assert choose_encoding("br", offered=("gzip",)) is None
    assert choose_encoding("br, gzip", offered=("gzip",)) == "gzip"
    assert choose_encoding("br, gzip", offered=()) is None


def test_compress_round_trips() -> None:
    body = b"wangge " * 500
    assert brotli.decompress(compress(body, "br")) == body
    assert gzip.decompress(compress(body, "gzip")) == body
    assert compress(body, "gzip") == compress(body, "gzip")  # no timestamp inside
    with pytest.raises(ValueError, match="unknown encoding"):
        compress(body, "zstd")


def _entry() -> StaticFile:
    raw = b"export const x = 1;\n" * 100
    return StaticFile(
        stamp=(0, len(raw)),
        digest="abc123def456",
        media_type="text/javascript",
        bodies={None: raw, "br": compress(raw, "br"), "gzip": compress(raw, "gzip")},
    )


def test_static_response_carries_the_chosen_encoding_and_its_etag() -> None:
    entry = _entry()
    status, body, headers = respond(entry, "gzip, deflate, br", None, None)
    assert status == 200
    assert headers["Content-Encoding"] == "br"
    assert brotli.decompress(body) == entry.bodies[None]
    assert headers["ETag"] == '"abc123def456-br"'
    assert headers["Vary"] == "Accept-Encoding"
    status, body, headers = respond(entry, "gzip", None, None)
    assert (headers["Content-Encoding"], headers["ETag"]) == ("gzip", '"abc123def456-gzip"')
    status, body, headers = respond(entry, None, None, None)
    assert "Content-Encoding" not in headers
    assert body == entry.bodies[None]
    assert headers["ETag"] == '"abc123def456"'


def test_static_response_is_immutable_only_under_its_content_hash() -> None:
    entry = _entry()
    assert respond(entry, None, None, "abc123def456")[2]["Cache-Control"] == IMMUTABLE
    assert respond(entry, None, None, "1.0.0")[2]["Cache-Control"] == REVALIDATE  # old URL
    assert respond(entry, None, None, None)[2]["Cache-Control"] == REVALIDATE


def test_static_response_304_when_the_etag_matches_its_encoding() -> None:
    entry = _entry()
    status, body, headers = respond(entry, "br", '"abc123def456-br"', None)
    assert (status, body) == (304, b"")
    assert headers["ETag"] == '"abc123def456-br"'
    assert headers["Cache-Control"] == REVALIDATE
    # the gzip representation's tag does not validate the brotli one
    assert respond(entry, "br", '"abc123def456-gzip"', None)[0] == 200
    assert respond(entry, "br", 'W/"abc123def456-br", "x"', None)[0] == 304
    assert respond(entry, "br", "*", None)[0] == 304


def test_png_is_served_as_it_is() -> None:
    path = static.resolve("icons/icon-192.png")
    assert path is not None
    entry = static.load(path)
    assert entry.encodings == ()
    status, _body, headers = respond(entry, "br, gzip", None, None)
    assert status == 200
    assert "Content-Encoding" not in headers
    assert "Vary" not in headers


def test_resolve_stays_inside_the_static_folder() -> None:
    assert static.resolve("js/main.js") is not None
    assert static.resolve("../../server/config.py") is None
    assert static.resolve("/etc/passwd") is None
    assert static.resolve("js/") is None
    assert static.resolve("js/nothing.js") is None


def test_static_url_names_the_content_hash() -> None:
    path = static.resolve("css/site.css")
    assert path is not None
    assert static.static_url("css/site.css") == f"/static/css/site.css?v={static.load(path).digest}"
    with pytest.raises(ValueError, match="no static file"):
        static.static_url("css/none.css")
