"""Steps 2 to 4 of a sync request: the body's encoding and size, its JSON, the versions,
the request's shape; and the encoding of the answer (docs/sync-protocol.md, "Transport").

Everything here happens before the transaction: a request refused here wrote nothing.
"""

from __future__ import annotations

import zlib

import msgspec

from server.encoding import choose_encoding, compress
from server.errors import BadInput, UpgradeRequired
from server.i18n import gettext as _
from server.json_body import decode_json, too_large
from server.sync import cursor as cursors
from server.sync.feed import check_snapshot_cursor
from server.sync.spec.collections import Registry
from server.sync.wire import (
    MAX_DECOMPRESSED_BYTES,
    MAX_MUTATIONS,
    PROTOCOL_VERSION,
    SUPPORTED_SCHEMAS,
    Envelope,
    SyncRequest,
    SyncResponse,
)

#: Answers smaller than this go out plain: gzip's frame and header cost more than it saves.
GZIP_MIN_BYTES = 512
_encoder = msgspec.json.Encoder()


def bad_encoding(message: str) -> BadInput:
    return BadInput(message, code="bad_encoding")


def gunzip(raw: bytes, limit: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """Inflate at most ``limit`` bytes: a gzip bomb is refused after ``limit + 1`` bytes,
    not inflated to its full size."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise bad_encoding(_("The gzip data is corrupt.")) from exc
    if len(out) > limit or inflater.unconsumed_tail:
        raise too_large(limit)
    if not inflater.eof or inflater.unused_data:
        raise bad_encoding(_("The gzip data is corrupt."))
    return out


def decode_body(raw: bytes, content_encoding: str | None) -> bytes:
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in ("identity", ""):
        body = raw
    elif encoding in ("gzip", "x-gzip"):
        body = gunzip(raw)
    else:
        raise bad_encoding(
            _("Unsupported Content-Encoding %(e)s: send gzip or nothing.", e=encoding[:20])
        )
    if len(body) > MAX_DECOMPRESSED_BYTES:
        raise too_large(MAX_DECOMPRESSED_BYTES)
    return body


def parse_request(body: bytes, registry: Registry) -> tuple[SyncRequest, cursors.Cursor | None]:
    """JSON, then versions, then the exact shape: a newer client must get 426, not a
    complaint about fields this server does not know. (The one JSON decoder of every
    API, server/json_body.py, gives ``bad_json`` / ``bad_body``.)"""
    envelope = decode_json(body, Envelope)
    if envelope.protocol != PROTOCOL_VERSION:
        raise UpgradeRequired(
            _("This app is too old or too new for the server. Please update the app."),
            code="unsupported_protocol",
            detail={"supported": [PROTOCOL_VERSION]},
        )
    if envelope.schema not in SUPPORTED_SCHEMAS:
        raise UpgradeRequired(
            _("This app's data format is not supported. Please update the app."),
            code="schema_outdated",
            detail={"supported": sorted(SUPPORTED_SCHEMAS)},
        )
    request = decode_json(body, SyncRequest)
    if len(request.mutations) > MAX_MUTATIONS:
        raise BadInput(
            _("Send at most %(n)s changes per request.", n=MAX_MUTATIONS),
            code="too_many_mutations",
            detail={"max": MAX_MUTATIONS},
        )
    for name in [m.col for m in request.mutations] + list(request.first or ()):
        if name not in registry:
            raise BadInput(
                _("Unknown collection %(c)s.", c=name[:32]),
                code="unknown_collection",
                detail={"collection": name[:32]},
            )
    return request, parse_cursor(request.cursor, registry)


def parse_cursor(text: str | None, registry: Registry) -> cursors.Cursor | None:
    if not text:
        return None
    try:
        cursor = cursors.decode(text)
        if isinstance(cursor, cursors.SnapshotCursor):
            check_snapshot_cursor(cursor, registry)
    except cursors.CursorError as exc:
        raise BadInput(
            _("The sync position is not valid; sync again from the start."),
            code="cursor_invalid",
        ) from exc
    return cursor


#: brotli's quality for answers: made per request, so fast (5 is about gzip's time and
#: 10 to 20 % smaller on the sync JSON); the static files use 11 (made once)
BROTLI_ANSWER_QUALITY = 5
#: ... except a first sync's pages (the snapshot), which a phone pulls once, while its user
#: waits, often over a slow link: 10 is some 15 % smaller than 5..9 (its optimal parsing
#: is what shrinks random ids), for about 0.6 µs of CPU per byte (0.2 s for a page of
#: 2,000 records, some 350 KB of JSON), which routes.py spends in a worker thread
BROTLI_SNAPSHOT_QUALITY = 10


def encode_response(
    response: SyncResponse, accept_encoding: str | None, *, snapshot: bool = False
) -> tuple[bytes, str | None]:
    """The answer's bytes and their Content-Encoding: brotli when the client accepts it
    (browsers do over HTTPS), else gzip, else plain; plain too when it is not worth it.
    ``snapshot``: a first sync's page, compressed harder (BROTLI_SNAPSHOT_QUALITY)."""
    body = _encoder.encode(response)
    if len(body) < GZIP_MIN_BYTES:
        return body, None
    encoding = choose_encoding(accept_encoding)
    if encoding is None:
        return body, None
    quality = BROTLI_SNAPSHOT_QUALITY if snapshot else BROTLI_ANSWER_QUALITY
    return compress(body, encoding, quality=quality), encoding
