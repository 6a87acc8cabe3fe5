"""The signature is the documented recipe, checked by an independent implementation."""

from __future__ import annotations

import hashlib
import hmac
import re

from partner_hooks import signing

SECRET = "whsec_" + "ab" * 24
BODY = b'{"data":{"amount":1234},"id":"evt_1","type":"sync.finished"}'


def _independent_check(secret: str, body: bytes, header: str) -> bool:
    # What the README tells a partner to write, without our helpers.
    match = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", header)
    assert match, header
    timestamp, signature = match.groups()
    expected = hmac.new(
        secret.encode("utf-8"), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, signature)


def test_it_signs_timestamp_dot_body_with_hmac_sha256() -> None:
    header = signing.header_value(secret=SECRET, body=BODY, timestamp=1_790_000_000)
    assert header.startswith("t=1790000000,v1=")
    assert _independent_check(SECRET, BODY, header)
    assert not _independent_check(SECRET, BODY + b" ", header)
    assert not _independent_check("whsec_other", BODY, header)


def test_it_verifies_within_the_tolerance_only() -> None:
    header = signing.header_value(secret=SECRET, body=BODY, timestamp=1_790_000_000)
    assert signing.verify(secret=SECRET, body=BODY, header=header, now=1_790_000_299)
    assert not signing.verify(secret=SECRET, body=BODY, header=header, now=1_790_000_301)
    assert not signing.verify(secret=SECRET, body=BODY[:-1], header=header, now=1_790_000_000)
    assert not signing.verify(secret=SECRET + "x", body=BODY, header=header, now=1_790_000_000)


def test_it_accepts_any_of_several_signatures_during_a_secret_roll() -> None:
    good = signing.sign(secret=SECRET, body=BODY, timestamp=1_790_000_000)
    header = f"t=1790000000,v1={'0' * 64},v1={good}"
    assert signing.verify(secret=SECRET, body=BODY, header=header, now=1_790_000_000)


def test_it_refuses_malformed_headers() -> None:
    for header in ["", "v1=abc", "t=abc,v1=abc", "t=1790000000", "t=1,t=2,v1=ab"]:
        assert not signing.verify(secret=SECRET, body=BODY, header=header, now=1_790_000_000)
