"""QBO Fault bodies with the real codes, and the exception the handlers raise to produce them.

Codes and texts follow ../shared/docs/quickbooks-api.md §5 (Intuit's "Handling common errors"
page and its error-code list). Shape: {"Fault": {"Error": [...], "type": ...}, "time": ...}.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

VALIDATION = "ValidationFault"
SYSTEM = "SystemFault"


@dataclass
class FaultError:
    code: str
    message: str
    detail: str
    element: str = ""

    def as_json(self) -> dict[str, str]:
        return {
            "Message": self.message,
            "Detail": self.detail,
            "code": self.code,
            "element": self.element,
        }


@dataclass
class QBOFault(Exception):
    """A Fault response: raised anywhere in a handler, rendered once by the server."""

    errors: list[FaultError]
    type: str = VALIDATION
    status: int = 400
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return "; ".join(f"{e.code} {e.message}: {e.detail}" for e in self.errors)

    def body(self, time: str) -> dict[str, Any]:
        return {
            "Fault": {"Error": [e.as_json() for e in self.errors], "type": self.type},
            "time": time,
        }

    def item_body(self) -> dict[str, Any]:
        """The Fault as it appears inside a batch item (no "time")."""
        return {"Error": [e.as_json() for e in self.errors], "type": self.type}


def fault(code: str, message: str, detail: str, element: str = "", status: int = 400) -> QBOFault:
    return QBOFault([FaultError(code, message, detail, element)], status=status)


def required(name: str) -> QBOFault:
    return fault(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {name} is missing in the request",
        name,
    )


def unsupported_property(detail: str, element: str = "") -> QBOFault:
    return fault("2010", "Request has invalid or unsupported property", detail, element)


def invalid_value(element: str, detail: str) -> QBOFault:
    return fault("2010", "Request has invalid or unsupported property", detail, element)


def string_length(element: str, max_len: int, supplied: int) -> QBOFault:
    return fault(
        "2050",
        "String length is either shorter or longer than supported by specification",
        f"String length specified does not match the supported length. Min:0 Max:{max_len}"
        f" supported. Supplied length:{supplied}",
        element,
    )


def not_found(entity: str, entity_id: str) -> QBOFault:
    return fault(
        "610",
        "Object Not Found",
        "Object Not Found : Something you're trying to use has been made inactive. Check the"
        f" fields with accounts, customers, items, vendors or employees. ({entity} {entity_id})",
    )


def invalid_reference(kind: str, ref_id: str, element: str) -> QBOFault:
    return fault(
        "2500",
        "Invalid Reference Id",
        f"Invalid Reference Id : {kind} element id {ref_id} not found",
        element,
    )


def stale_object() -> QBOFault:
    return fault(
        "5010",
        "Stale Object Error",
        "Stale Object Error : You and root were working on this at the same time. root finished"
        " before you did, so your work was not saved.",
    )


def duplicate_name() -> QBOFault:
    return fault(
        "6240",
        "Duplicate Name Exists Error",
        "The name supplied already exists. : Another customer, vendor or employee is already"
        " using this name. Please use a different name.",
    )


def duplicate_list_name(kind: str) -> QBOFault:
    return fault(
        "6240",
        "Duplicate Name Exists Error",
        f"The name supplied already exists. : Another {kind} is already using this name.",
    )


def duplicate_doc_number(doc_number: str, txn_type: str, txn_id: str) -> QBOFault:
    return fault(
        "6140",
        "Duplicate Document Number Error",
        "Duplicate Document Number Error : You must specify a different number. This number has"
        f" already been used. DocNumber={doc_number} is assigned to TxnType={txn_type} with"
        f" TxnId={txn_id}",
    )


def period_closed(txn_date: str, close_date: str) -> QBOFault:
    return fault(
        "6210",
        "Account Period Closed",
        f"Account Period Closed : The account period has closed. TxnDate={txn_date} is on or"
        f" before the books closing date {close_date}.",
        "TxnDate",
    )


def business(detail: str, element: str = "", code: str = "6000") -> QBOFault:
    return fault(
        code,
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}",
        element,
    )


def unsupported_operation(detail: str) -> QBOFault:
    return fault("500", "Unsupported Operation", detail)


def query_parse(detail: str) -> QBOFault:
    return fault("4000", "Error parsing query", f"QueryParserError: {detail}")


def query_invalid(detail: str) -> QBOFault:
    return fault("4001", "Invalid query", f"QueryValidationError: {detail}")


def batch_too_large(count: int, limit: int) -> QBOFault:
    return fault(
        "1040",
        "Batch size exceeds allowed limit",
        f"Number of items in batch request ({count}) exceeds the allowed limit of {limit}",
    )


def authentication_failed(detail: str, time_ms: int) -> dict[str, Any]:
    """The 401 body QBO really sends: lower-case keys, type AUTHENTICATION, epoch-ms time
    (python-quickbooks issue #250)."""
    return _lowercase_fault(
        "message=AuthenticationFailed; errorCode=003200; statusCode=401",
        detail,
        "3200",
        "AUTHENTICATION",
        time_ms,
    )


def authorization_failed(time_ms: int) -> dict[str, Any]:
    """403 for a valid token used on a company it does not grant (oauth-jsclient issue #2)."""
    return _lowercase_fault(
        "message=AuthorizationFailed; errorCode=003100; statusCode=403",
        None,
        "3100",
        "SERVICE",
        time_ms,
    )


def _lowercase_fault(
    message: str, detail: str | None, code: str, kind: str, time_ms: int
) -> dict[str, Any]:
    return {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [{"message": message, "detail": detail, "code": code, "element": None}],
            "type": kind,
        },
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": time_ms,
        "status": None,
        "cdcresponse": [],
    }


THROTTLE_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{time}">'
    '<Fault type="SERVICE"><Error code="3001">'
    "<Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>"
    "<Detail>The request limit was reached.  Try again later</Detail>"
    "</Error></Fault></IntuitResponse>"
)


def throttle_json(time: str) -> dict[str, Any]:
    return {
        "Fault": {
            "Error": [
                {
                    "Message": "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                    "Detail": "The request limit was reached.  Try again later",
                    "code": "3001",
                    "element": "",
                }
            ],
            "type": "SERVICE",
        },
        "time": time,
    }
