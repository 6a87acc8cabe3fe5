"""The one outbound HTTP wrapper: timeouts, a user agent, redacted logs, status → error.

Provider clients call `request()`; it never logs bodies (they can hold tokens or books data),
and it turns transport failures into the error taxonomy of connections.providers.errors.
"""

from __future__ import annotations

import logging
from typing import Any

import requests

from connections.providers.errors import ProviderError

logger = logging.getLogger(__name__)

TIMEOUT = (10, 60)  # connect, read (seconds)
USER_AGENT = "Tieout/0.1 (+https://github.com/tieout)"

_session = requests.Session()
_session.headers["User-Agent"] = USER_AGENT


def request(method: str, url: str, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("timeout", TIMEOUT)
    try:
        response = _session.request(method, url, **kwargs)
    except requests.Timeout:
        raise ProviderError("The service did not answer in time.", permanent=False) from None
    except requests.ConnectionError:
        raise ProviderError("The service could not be reached.", permanent=False) from None
    logger.info(
        "%s %s -> %s (intuit_tid=%s request-id=%s)",
        method,
        url.split("?")[0],
        response.status_code,
        response.headers.get("intuit_tid", "-"),
        response.headers.get("Request-Id", "-"),
    )
    return response
