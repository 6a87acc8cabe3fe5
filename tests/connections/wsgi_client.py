"""A test client that goes through `config.wsgi.application`, as gunicorn does.

Django's test client calls the views directly, so it never sees the WSGI front that serves
Stripe's webhooks (connections/fastpath.py). This one speaks WSGI (werkzeug's test client) and
answers like Django's client (`status_code`, `response["Header"]`, `.json()`).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from werkzeug.test import Client as WerkzeugClient

from config.wsgi import application


class Reply:
    def __init__(self, response: Any) -> None:
        self.status_code: int = response.status_code
        self.headers = response.headers
        self.content: bytes = response.get_data()

    def __getitem__(self, header: str) -> str:
        return self.headers[header]

    def json(self) -> Any:
        return json.loads(self.content)


class FrontClient:
    def __init__(self, app: Any = application) -> None:
        self._client = WerkzeugClient(app)

    def post(
        self,
        path: str,
        data: bytes | str = b"",
        content_type: str = "application/octet-stream",
        **environ: str,
    ) -> Reply:
        return self._request("POST", path, data=data, content_type=content_type, **environ)

    def get(self, path: str, **environ: str) -> Reply:
        return self._request("GET", path, **environ)

    def _request(self, method: str, path: str, **kwargs: Any) -> Reply:
        data = kwargs.pop("data", None)
        content_type = kwargs.pop("content_type", None)
        environ = {"SERVER_NAME": "testserver", "HTTP_HOST": "testserver", **kwargs}
        # As Django's own test client does: the test's database transaction must survive
        # the request signals that would otherwise close "old" connections.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = self._client.open(
                path,
                method=method,
                data=data,
                content_type=content_type,
                environ_overrides=environ,
            )
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        return Reply(response)
