"""QBO's SQL subset: SELECT * | COUNT(*) FROM X [WHERE a op v AND …] [ORDERBY f [ASC|DESC], …]
[STARTPOSITION n] [MAXRESULTS n]. Operators =, !=, <, <=, >, >=, IN (…), LIKE ('%' only).
No OR, no projections, no joins (docs/quickbooks-api.md §3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from emulators.quickbooks import faults

MAX_RESULTS = 1000
DEFAULT_RESULTS = 100
NOT_FILTERABLE = {"PrivateNote", "Line", "Description"}

TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:\\.|[^'\\])*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op><=|>=|!=|<>|=|<|>)"
    r"|(?P<punct>[(),*])|(?P<word>[A-Za-z_][\w.]*))"
)


@dataclass
class Condition:
    field: str
    op: str
    values: list[Any]


@dataclass
class Query:
    entity: str
    count: bool = False
    where: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    start: int = 1
    max_results: int = DEFAULT_RESULTS


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos, text = [], 0, text.strip().rstrip(";")
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise faults.query_parse(f"Encountered unexpected character at position {pos}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("eof", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.pos += 1
        return token

    def keyword(self, *words: str) -> bool:
        kind, value = self.peek()
        if kind == "word" and value.upper() in words:
            self.pos += 1
            return True
        return False

    def expect(self, word: str) -> None:
        if not self.keyword(word):
            raise faults.query_parse(f'Encountered "{self.peek()[1]}", expected {word}')

    def parse(self) -> Query:
        self.expect("SELECT")
        count = self._projection()
        self.expect("FROM")
        kind, entity = self.take()
        if kind != "word":
            raise faults.query_parse("Expected an entity name after FROM")
        query = Query(entity=entity, count=count)
        if self.keyword("WHERE"):
            query.where = self._conditions()
        if self.keyword("ORDERBY", "ORDER"):
            self.keyword("BY")
            query.order = self._order()
        if self.keyword("STARTPOSITION"):
            query.start = self._int()
        if self.keyword("MAXRESULTS"):
            query.max_results = min(self._int(), MAX_RESULTS)
        if self.peek()[0] != "eof":
            raise faults.query_parse(f'Encountered unexpected "{self.peek()[1]}"')
        return query

    def _projection(self) -> bool:
        if self.peek() == ("punct", "*"):
            self.take()
            return False
        if self.keyword("COUNT"):
            for expected in ("(", "*", ")"):
                if self.take() != ("punct", expected):
                    raise faults.query_parse("Malformed COUNT(*)")
            return True
        raise faults.query_parse("Only SELECT * and SELECT COUNT(*) are supported")

    def _conditions(self) -> list[Condition]:
        out = [self._condition()]
        while self.keyword("AND"):
            out.append(self._condition())
        if self.keyword("OR"):
            raise faults.query_parse("OR is not supported; use IN (...)")
        return out

    def _condition(self) -> Condition:
        kind, name = self.take()
        if kind != "word":
            raise faults.query_parse(f'Encountered "{name}", expected a field name')
        if name.split(".")[0] in NOT_FILTERABLE:
            raise faults.query_invalid(f"Property {name} is not queryable")
        if self.keyword("IN"):
            return Condition(name, "IN", self._list())
        if self.keyword("LIKE"):
            return Condition(name, "LIKE", [self._value()])
        kind, op = self.take()
        if kind != "op":
            raise faults.query_parse(f'Encountered "{op}", expected an operator')
        return Condition(name, "!=" if op == "<>" else op, [self._value()])

    def _list(self) -> list[Any]:
        if self.take() != ("punct", "("):
            raise faults.query_parse("Expected ( after IN")
        values = [self._value()]
        while self.peek() == ("punct", ","):
            self.take()
            values.append(self._value())
        if self.take() != ("punct", ")"):
            raise faults.query_parse("Expected ) to close IN list")
        return values

    def _value(self) -> Any:
        kind, value = self.take()
        if kind == "str":
            return re.sub(r"\\(.)", r"\1", value[1:-1])
        if kind == "num":
            return Decimal(value)
        if kind == "word" and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise faults.query_parse(f'Encountered "{value}", expected a value')

    def _order(self) -> list[tuple[str, bool]]:
        out = []
        while True:
            kind, name = self.take()
            if kind != "word":
                raise faults.query_parse("Expected a field after ORDERBY")
            descending = self.keyword("DESC")
            if not descending:
                self.keyword("ASC")
            out.append((name, descending))
            if self.peek() != ("punct", ","):
                return out
            self.take()

    def _int(self) -> int:
        kind, value = self.take()
        if kind != "num" or "." in value or int(value) < 1:
            raise faults.query_parse(f'Encountered "{value}", expected a positive integer')
        return int(value)


def parse(text: str) -> Query:
    return Parser(text).parse()


def field_value(obj: dict[str, Any], path: str) -> Any:
    value: Any = obj
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    if isinstance(value, dict) and "value" in value:
        return value["value"]  # a reference compares by its Id
    if isinstance(value, dict) and "Address" in value:
        return value["Address"]  # PrimaryEmailAddr = 'a@b.c' compares the address
    return value


def _comparable(a: Any, b: Any) -> tuple[Any, Any]:
    if isinstance(b, bool) or isinstance(a, bool):
        return str(a).lower(), str(b).lower()
    try:
        return Decimal(str(a)), Decimal(str(b))
    except InvalidOperation:
        pass
    try:
        return _instant(str(a)), _instant(str(b))
    except ValueError:
        return str(a).casefold(), str(b).casefold()


def _instant(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(text)  # dates compare as strings, which is exact for YYYY-MM-DD
    return when


def matches(obj: dict[str, Any], cond: Condition) -> bool:
    actual = field_value(obj, cond.field)
    if actual is None:
        return False
    if cond.op == "IN":
        return any(_equal(actual, v) for v in cond.values)
    if cond.op == "LIKE":
        pattern = "^" + ".*".join(re.escape(p) for p in str(cond.values[0]).split("%")) + "$"
        return re.match(pattern, str(actual), re.IGNORECASE) is not None
    a, b = _comparable(actual, cond.values[0])
    return {"=": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[cond.op]


def _equal(actual: Any, value: Any) -> bool:
    a, b = _comparable(actual, value)
    return bool(a == b)


def run(query: Query, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Filter, sort and page rows (already rendered entities) like QBO does."""
    found = [r for r in rows if all(matches(r, c) for c in query.where)]
    found.sort(key=lambda r: _sort_id(r.get("Id")))
    for name, descending in reversed(query.order):
        found.sort(key=lambda r, n=name: _sort_key(field_value(r, n)), reverse=descending)
    return found


def page(query: Query, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return found[query.start - 1 : query.start - 1 + query.max_results]


def _sort_id(value: Any) -> tuple[int, str]:
    text = str(value)
    return (int(text), "") if text.isdigit() else (1 << 62, text)


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return (1, Decimal(value))
    return (2, str(value).casefold())
