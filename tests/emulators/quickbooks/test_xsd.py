"""Every entity kind the emulator accepts validates against Intuit's XSD, and XSD violations are
answered with a ValidationFault. The adapter below is the test's own (docs §11.2), independent of
emulators/quickbooks/xsd.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import xmlschema

from emulators.quickbooks.entities import SPECS
from tests.emulators.quickbooks.conftest import Conn, fault_of, ref, sales_line
from tests.emulators.quickbooks.documents import post_one_of_each

QBO_NS = {"": "http://schema.intuit.com/finance/v3"}
ENTITY_ATTRS = {"sparse", "domain", "status"}


@pytest.fixture(scope="module")
def schema(xsd_dir: Path) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(xsd_dir / "IntuitRestServiceDef.xsd"))


def to_xsd_form(obj: Any, top: bool = False) -> Any:
    if isinstance(obj, dict):
        if "value" in obj and set(obj) <= {"value", "name", "type"}:
            out = {"$": str(obj["value"])}
            out.update({"@" + k: str(obj[k]) for k in ("name", "type") if k in obj})
            return out
        return {
            ("@" + k if top and k in ENTITY_ATTRS else k): to_xsd_form(v) for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [to_xsd_form(x) for x in obj]
    if isinstance(obj, bool):
        return "true" if obj else "false"
    return str(obj)


def validate(schema: xmlschema.XMLSchema, entity: str, payload: dict[str, Any]) -> None:
    form = to_xsd_form(payload, top=True)
    if entity == "Transfer":
        form["TransferEx"] = {}  # mandatory internal placeholder in the XSD (docs §11.2)
    schema.elements[entity].encode(form, unordered=True, namespaces=QBO_NS)


def test_it_returns_entities_of_every_kind_that_validate_against_the_xsd(
    conn: Conn, schema: xmlschema.XMLSchema
) -> None:
    entities = post_one_of_each(conn)

    assert set(entities) == set(SPECS)  # a new kind needs a sample here
    for kind, entity in entities.items():
        validate(schema, kind, entity)


def test_it_returns_updated_and_voided_documents_that_validate(
    conn: Conn, schema: xmlschema.XMLSchema
) -> None:
    entities = post_one_of_each(conn)
    receipt = entities["SalesReceipt"]
    payment = entities["Payment"]

    updated = conn.create(
        "Customer",
        {
            "Id": entities["Customer"]["Id"],
            "SyncToken": "0",
            "sparse": True,
            "CompanyName": "Doe Ltd",
        },
    )
    voided = conn.create(
        "Payment",
        {"Id": payment["Id"], "SyncToken": payment["SyncToken"], "sparse": True},
        operation="update",
        include="void",
    )

    validate(schema, "Customer", updated)
    validate(schema, "Payment", voided)
    assert receipt["Id"]


def test_it_checks_with_an_adapter_that_rejects_a_bad_enum(schema: xmlschema.XMLSchema) -> None:
    # Guards the test adapter itself: a bad enum must fail here too.
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        validate(schema, "Purchase", {"PaymentType": "Bogus"})


@pytest.mark.usefixtures("xsd_dir")
def test_it_answers_an_unknown_field_with_2010(conn: Conn) -> None:
    response = conn.post("Customer", {"DisplayName": "X", "Foo": "bar"})

    fault = fault_of(response)
    assert response.status_code == 400
    assert fault["type"] == "ValidationFault"
    assert fault["Error"][0]["code"] == "2010"
    assert fault["Error"][0]["element"] == "Foo"
    assert "Unrecognized field" in fault["Error"][0]["Detail"]


@pytest.mark.usefixtures("xsd_dir")
@pytest.mark.parametrize(
    ("entity", "body"),
    [
        ("Purchase", {"PaymentType": "Bogus", "AccountRef": {"value": "1"}, "Line": []}),
        ("SalesReceipt", {"TxnDate": "not-a-date", "Line": []}),
        ("Customer", {"DisplayName": "X", "Taxable": "maybe"}),
        ("SalesReceipt", {"Line": [{"DetailType": "NopeLineDetail", "Amount": 1}]}),
    ],
)
def test_it_answers_xsd_violations_with_a_validation_fault(
    conn: Conn, entity: str, body: dict[str, Any]
) -> None:
    response = conn.post(entity, body)

    fault = fault_of(response)
    assert response.status_code == 400
    assert fault["type"] == "ValidationFault"
    assert fault["Error"][0]["code"] == "2010"


@pytest.mark.usefixtures("xsd_dir")
def test_it_validates_sparse_update_bodies_too(conn: Conn) -> None:
    customer = conn.customer()

    response = conn.post(
        "Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Nope": 1}
    )

    assert fault_of(response)["Error"][0]["code"] == "2010"


@pytest.mark.usefixtures("xsd_dir")
def test_it_validates_batch_items_against_the_xsd(conn: Conn) -> None:
    item = conn.item("Services")
    body = {
        "BatchItemRequest": [
            {
                "bId": "1",
                "operation": "create",
                "SalesReceipt": {"Line": [sales_line(item["Id"], "1.00")], "Bogus": True},
            },
            {"bId": "2", "operation": "create", "Customer": {"DisplayName": "ok"}},
        ]
    }

    response = conn.post("batch", body)

    items = {i["bId"]: i for i in response.json()["BatchItemResponse"]}
    assert items["1"]["Fault"]["Error"][0]["code"] == "2010"
    assert items["2"]["Customer"]["DisplayName"] == "ok"
    assert ref(items["2"]["Customer"])
