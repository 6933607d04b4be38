"""Every code the sync API answers with, in one place.

tests/unit/test_sync_docs.py checks that each code here appears in docs/sync-protocol.md
and that every code used in server/sync is one of these.
"""

from __future__ import annotations

#: Per-mutation rejections: ``MutationResult.code`` when ``status`` is ``rejected``.
REJECTIONS: dict[str, str] = {
    "forbidden": "the user's role may not change this collection",
    "out_of_scope": "the record, or the area or parent it names, is outside the user's area",
    "not_found": "an edit or delete of a record the server does not have",
    "record_deleted": "the record was deleted; it cannot be edited",
    "append_only": "visits, checks and fever events cannot be changed or deleted",
    "invalid": "a value is malformed, missing or out of range; `field` names it",
    "unknown_field": "data names a field the collection does not have",
    "read_only": "data names a field that only the server writes",
    "undeletable": (
        "a daily report is corrected, never deleted (its id is fixed by grid and day); "
        "a reminder is acknowledged, never deleted"
    ),
    "immutable": "the field cannot change once the record exists",
    "bad_reference": "a record the mutation refers to does not exist or was deleted",
    "has_dependents": "a household with persons, or a person with measures, cannot be deleted",
    "id_mismatch": "a daily report's id is not the one its grid and date define",
    "zero_over_findings": "a zero report cannot replace a daily report with findings",
}

#: Whole-request errors: HTTP status and meaning. Nothing is written when one is answered.
ERRORS: dict[str, tuple[int, str]] = {
    "bad_json": (400, "the body is not JSON"),
    "bad_body": (400, "the JSON does not match SyncRequest; detail.path names the field"),
    "unknown_collection": (400, "a mutation or `first` names a collection this server lacks"),
    "too_many_mutations": (400, "more than 500 mutations in one request"),
    "cursor_invalid": (400, "the cursor is not one this server made"),
    "bad_encoding": (400, "corrupt gzip data, or a Content-Encoding other than gzip/identity"),
    "body_too_large": (413, "the body exceeds the compressed or the decompressed limit"),
    "unauthorized": (401, "no or unknown device token, or the account is disabled"),
    "device_revoked": (401, "the device was signed out; sign in again"),
    "unsupported_protocol": (426, "this protocol version is not served: update the app"),
    "schema_outdated": (426, "this local schema version is not served: update the app"),
    "write_conflict": (409, "the batch met a concurrent write and was not applied: resend"),
    "unavailable": (503, "the database is unreachable: retry later"),
}

#: Errors of the conflict review API (in addition to unauthorized/forbidden above).
REVIEW_ERRORS: dict[str, tuple[int, str]] = {
    "forbidden": (403, "only supervisors and admins review conflicts"),
    "out_of_scope": (403, "the conflict's record is outside the reviewer's area"),
    "not_found": (404, "no such conflict"),
    "already_resolved": (409, "the conflict was already decided"),
    "record_deleted": (409, "the record was deleted; only `reject` is possible"),
    "invalid": (400, "the decision's value fails the field's schema, or is missing for edit"),
    "bad_request": (400, "a query parameter is malformed"),
}

#: ``SyncResponse.reset`` values.
RESETS: dict[str, str] = {
    "scope": "the user's area or role changed: drop the snapshot, keep the outbox, re-pull",
    "horizon": "the cursor predates purged tombstones: drop the snapshot, keep the outbox",
}

#: ``MutationResult.status`` values.
STATUSES: dict[str, str] = {
    "applied": "every field applied as sent",
    "merged": "a field met a concurrent edit; equal values merged or the greater HLC won",
    "conflict": "a critical field is held for review; the other fields applied",
    "rejected": "nothing applied; `code` and `message` say why",
}

#: ``conflicts.status`` values (server/sync/models.py CONFLICT_STATUSES).
CONFLICT_STATUSES: dict[str, str] = {
    "pending": "a critical field's proposal waits for a supervisor",
    "auto_resolved": "a non-critical field: the greater HLC won, the loser is kept here",
    "accepted": "a supervisor wrote the proposed value",
    "rejected": "a supervisor kept the current value",
    "edited": "a supervisor wrote a value of their own",
}
