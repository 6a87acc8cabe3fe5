"""API exceptions beyond DRF's own (rendered as problems by api.problems)."""

from __future__ import annotations

from rest_framework.exceptions import APIException


class Conflict(APIException):
    status_code = 409
    default_detail = "The object's state does not allow this now."
    default_code = "conflict"
