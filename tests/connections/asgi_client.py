"""A test client that goes through `config.asgi.application`, as gunicorn's asyncio worker does.

Each request runs in its own event loop (asgiref's `async_to_sync`), so Django code that the
intake runs in "Django's thread" runs in the test's own thread, on the test's database
connection; the intake's asyncio connection pool is closed at the end of every request, in the
loop that opened it. It answers like Django's client (`status_code`, `response["Header"]`,
`.json()`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from typing import Any

from asgiref.sync import async_to_sync

from config.asgi import application


class Reply:
    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], content: bytes) -> None:
        self.status_code = status
        self.headers = {name.decode().lower(): value.decode() for name, value in headers}
        self.content = content

    def __getitem__(self, header: str) -> str:
        return self.headers[header.lower()]

    def json(self) -> Any:
        return json.loads(self.content)


class IntakeClient:
    def __init__(self, app: Any = application, *, host: str = "testserver") -> None:
        self.app = app
        self.host = host

    def post(
        self,
        path: str,
        data: bytes = b"",
        content_type: str = "application/octet-stream",
        *,
        headers: dict[str, str] | None = None,
        chunks: list[bytes] | None = None,
        scheme: str = "http",
    ) -> Reply:
        all_headers = {"content-type": content_type, "content-length": str(len(data))}
        if chunks is not None:
            del all_headers["content-length"]
        all_headers.update(headers or {})
        return self.request("POST", path, all_headers, chunks or [data], scheme)

    def get(self, path: str) -> Reply:
        return self.request("GET", path, {}, [b""], "http")

    def request(
        self, method: str, path: str, headers: dict[str, str], chunks: list[bytes], scheme: str
    ) -> Reply:
        return async_to_sync(self._request)(method, path, headers, chunks, scheme)

    async def _request(
        self, method: str, path: str, headers: dict[str, str], chunks: list[bytes], scheme: str
    ) -> Reply:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": scheme,
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "server": ("testserver", 80),
            "client": ("127.0.0.1", 50000),
            "headers": [(b"host", self.host.encode())]
            + [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        }
        pending = [
            {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
            for i, chunk in enumerate(chunks)
        ]
        answer: dict[str, Any] = {"body": b""}

        async def receive() -> MutableMapping[str, Any]:
            if pending:
                return pending.pop(0)
            # The client stays connected: Django listens for a disconnect while it answers.
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer.update(status=message["status"], headers=message.get("headers", []))
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")

        try:
            await self.app(scope, receive, send)
        finally:
            close = getattr(self.app, "close", None)
            if close is not None:
                await close()
        return Reply(answer["status"], answer["headers"], answer["body"])


def lifespan(app: Any) -> list[str]:
    """Run the lifespan protocol start to end; the messages the app sent back."""

    async def run() -> list[str]:
        incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
        sent: list[str] = []

        async def receive() -> MutableMapping[str, Any]:
            return incoming.pop(0)

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message["type"])

        await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
        return sent

    return async_to_sync(run)()
