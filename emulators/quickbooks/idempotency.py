"""requestid: "If the service receives another request with the same RequestID, ... the service
sends the same response as it did for the original request" (docs/quickbooks-api.md §4).

Replies are kept per company in the store (so they persist with --state) and looked up under the
store lock, so a retry racing the first attempt waits for it and then replays it.
"""

from __future__ import annotations

from dataclasses import dataclass

from emulators.quickbooks import faults
from emulators.quickbooks.store import Company

MAX_REQUEST_ID = 50
MAX_BATCH_REQUEST_ID = 36


@dataclass(frozen=True)
class Reply:
    status: int
    body: str
    content_type: str


def check_length(request_id: str, batch: bool) -> None:
    limit = MAX_BATCH_REQUEST_ID if batch else MAX_REQUEST_ID
    if len(request_id) > limit:
        raise faults.string_length("requestid", limit, len(request_id))


def recall(company: Company, request_id: str) -> Reply | None:
    stored = company.replies.get(request_id)
    return Reply(**stored) if stored else None


def remember(company: Company, request_id: str, reply: Reply) -> None:
    # Only answers the service itself gave are replayed; throttles, auth and injected 5xx are not
    # "the original response" of an operation.
    if reply.status in (200, 400):
        company.replies[request_id] = {
            "status": reply.status,
            "body": reply.body,
            "content_type": reply.content_type,
        }
