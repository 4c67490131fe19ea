"""The data scientists' Cypher library (``cypher/analytics/``) and the read-only Cypher runner.

Every file of the library starts with a machine-readable header, one tag per comment line::

    // @purpose What the query answers (continuation lines: "//   more text").
    // @param NAME: TYPE = DEFAULT  description      (no "= DEFAULT": the parameter is required)
    // @column NAME: TYPE  description

TYPE is one of ``int``, ``float``, ``str``, ``bool``, ``list[int]``, ``list[str]``; a trailing ``?``
allows null. DEFAULT is JSON (``20``, ``"UTC"``, ``["public"]``, ``null``). Two spaces separate a
default or a type from the description. :func:`parse_query` checks that the parameters declared are
exactly those the query uses, so the header cannot drift from the text.

Every query here runs in a READ transaction: Neo4j itself refuses a write
(``Neo.ClientError.Statement.AccessMode``) and nothing changes; we turn that into a clear message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from neo4j import AsyncManagedTransaction
from neo4j import exceptions as neo4j_errors

from core.errors import Forbidden, Invalid, NotFound
from graph.driver import Graph
from graph.queries import CYPHER_DIR

ANALYTICS_DIR = CYPHER_DIR / "analytics"
# Rows kept from one query: enough for any notebook table, bounded so a runaway query cannot
# exhaust the CLI's memory (add LIMIT or export in pages beyond that).
MAX_ROWS = 1_000_000

_SCALARS = ("int", "float", "str", "bool")
TYPES = frozenset({*_SCALARS, "list[int]", "list[str]"})

_TAG = re.compile(r"^//\s*@(\w+)\s*(.*)$")
_CONTINUATION = re.compile(r"^//\s?(.*)$")
_PARAM = re.compile(r"^(\w+)\s*:\s*([\w\[\]]+\??)(?:\s*=\s*(.+?))?(?:\s{2,}(.*))?$")
_COLUMN = re.compile(r"^(\w+)\s*:\s*([\w\[\]]+\??)(?:\s{2,}(.*))?$")
# $name in query text, ignoring // comments (string literals in the library never contain "$").
_USED_PARAM = re.compile(r"\$(\w+)")

ACCESS_MODE_ERROR = "Neo.ClientError.Statement.AccessMode"


class HeaderError(ValueError):
    """A library file whose header is missing, malformed, or disagrees with the query text."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Any
    required: bool
    description: str

    @property
    def nullable(self) -> bool:
        return self.type.endswith("?")

    @property
    def base_type(self) -> str:
        return self.type.rstrip("?")

    def coerce(self, value: Any) -> Any:
        """A value for this parameter; strings (from a command line) are parsed by the declared type."""
        if value is None or (isinstance(value, str) and value.strip().lower() == "null"):
            if self.nullable:
                return None
            raise Invalid(f"parameter {self.name} cannot be null", code="invalid_parameter")
        try:
            return _coerce(self.base_type, value)
        except (ValueError, TypeError) as exc:
            raise Invalid(
                f"parameter {self.name} must be {self.type}, got {value!r}", code="invalid_parameter"
            ) from exc

    def describe(self) -> str:
        default = "required" if self.required else f"default {json.dumps(self.default)}"
        return f"{self.name}: {self.type} ({default})"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class AnalyticsQuery:
    name: str
    purpose: str
    params: tuple[Param, ...]
    columns: tuple[Column, ...]
    text: str

    def bind(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Parameters for a run: defaults filled in, values coerced; unknown or missing ones refused."""
        declared = {p.name: p for p in self.params}
        unknown = sorted(set(values) - set(declared))
        if unknown:
            takes = ", ".join(declared) or "none"
            raise Invalid(
                f"{self.name} has no parameter {', '.join(unknown)} (it takes: {takes})",
                code="invalid_parameter",
            )
        bound: dict[str, Any] = {}
        for param in self.params:
            if param.name in values:
                bound[param.name] = param.coerce(values[param.name])
            elif param.required:
                raise Invalid(f"{self.name} needs --param {param.name}=...", code="invalid_parameter")
            else:
                bound[param.name] = param.default
        return bound


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[dict[str, Any]]


def _coerce(kind: str, value: Any) -> Any:
    if kind.startswith("list["):
        item = kind[5:-1]
        if isinstance(value, str):
            text = value.strip()
            value = (
                json.loads(text)
                if text.startswith("[")
                else [v.strip() for v in text.split(",") if v.strip()]
            )
        if not isinstance(value, list | tuple):
            raise TypeError("not a list")
        return [_coerce(item, v) for v in value]
    if kind == "int":
        if isinstance(value, bool):
            raise TypeError("bool is not an int")
        return int(value) if not isinstance(value, float) or value.is_integer() else _fail()
    if kind == "float":
        return float(value)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no"):
            return False
        raise ValueError("not a bool")
    return str(value)


def _fail() -> Any:
    raise ValueError("not an integer")


def parse_query(name: str, text: str) -> AnalyticsQuery:
    """Parse a library file's header (see the module docstring) and check it against the query."""
    purpose: list[str] = []
    params: list[Param] = []
    columns: list[Column] = []
    last: list[str] | None = None  # where a continuation line goes
    body: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("//"):
            body.append(line)
            continue
        tag = _TAG.match(stripped)
        if tag is None:
            cont = _CONTINUATION.match(stripped)
            if last is not None and cont is not None:
                last.append(cont.group(1).strip())
            continue
        key, rest = tag.group(1), tag.group(2).strip()
        if key == "purpose":
            purpose.append(rest)
            last = purpose
        elif key == "param":
            params.append(_parse_param(name, rest))
            last = None
        elif key == "column":
            columns.append(_parse_column(name, rest))
            last = None
        else:
            raise HeaderError(f"{name}: unknown header tag @{key}")
    if not purpose:
        raise HeaderError(f"{name}: no // @purpose line")
    if not columns:
        raise HeaderError(f"{name}: no // @column lines")
    used = set(_USED_PARAM.findall("\n".join(body)))
    declared = {p.name for p in params}
    if used != declared:
        raise HeaderError(
            f"{name}: parameters used but not declared: {sorted(used - declared)}; "
            f"declared but not used: {sorted(declared - used)}"
        )
    return AnalyticsQuery(name, " ".join(purpose), tuple(params), tuple(columns), text)


def _parse_param(query: str, rest: str) -> Param:
    match = _PARAM.match(rest)
    if match is None:
        raise HeaderError(
            f"{query}: malformed @param {rest!r} (expected 'name: type = default  description')"
        )
    name, kind, default_text, description = match.groups()
    if kind.rstrip("?") not in TYPES:
        raise HeaderError(f"{query}: @param {name} has unknown type {kind}")
    if default_text is None:
        return Param(name, kind, None, True, description or "")
    try:
        raw_default = json.loads(default_text)
    except json.JSONDecodeError as exc:
        raise HeaderError(f"{query}: @param {name} default {default_text!r} is not JSON") from exc
    param = Param(name, kind, None, False, description or "")
    try:
        default = param.coerce(raw_default)
    except Invalid as exc:
        raise HeaderError(f"{query}: @param {name} default does not match its type: {exc}") from exc
    return Param(name, kind, default, False, description or "")


def _parse_column(query: str, rest: str) -> Column:
    match = _COLUMN.match(rest)
    if match is None:
        raise HeaderError(f"{query}: malformed @column {rest!r} (expected 'name: type  description')")
    name, kind, description = match.groups()
    if kind.rstrip("?") not in TYPES:
        raise HeaderError(f"{query}: @column {name} has unknown type {kind}")
    return Column(name, kind, description or "")


@lru_cache(maxsize=4)
def library(directory: Path = ANALYTICS_DIR) -> dict[str, AnalyticsQuery]:
    """Every named analytics query, by file name without ``.cypher``, read once per process."""
    return {
        path.stem: parse_query(path.stem, path.read_text(encoding="utf-8"))
        for path in sorted(directory.glob("*.cypher"))
    }


def get_query(name: str) -> AnalyticsQuery:
    queries = library()
    if name not in queries:
        raise NotFound(f"no analytics query {name!r} (try `feedgraph cypher list`)", code="unknown_query")
    return queries[name]


async def run_named(graph: Graph, name: str, values: Mapping[str, Any] | None = None) -> QueryResult:
    """Run a library query by name in a READ transaction."""
    query = get_query(name)
    return await run_read_only(graph, query.text, query.bind(values or {}))


async def run_read_only(graph: Graph, text: str, params: Mapping[str, Any] | None = None) -> QueryResult:
    """Run any Cypher in a READ transaction. A write is refused by Neo4j (nothing changes) and raised
    as :class:`Forbidden`; a syntax or runtime error of the query as :class:`Invalid`."""
    if not text.strip():
        raise Invalid("the query is empty", code="cypher_error")
    # Ad-hoc text comes from the operator's own command line and runs read-only: running it is the
    # whole point of this runner, so it is not required to be a literal.
    statement = text
    arguments = dict(params or {})

    async def work(tx: AsyncManagedTransaction) -> QueryResult:
        result = await tx.run(statement, arguments)
        keys = list(result.keys())
        records = await result.fetch(MAX_ROWS)
        return QueryResult(keys, [{k: to_plain(v) for k, v in record.data().items()} for record in records])

    try:
        return await graph.read_tx(work)
    except neo4j_errors.ClientError as exc:
        raise translate_client_error(exc) from exc


def translate_client_error(exc: neo4j_errors.ClientError) -> Forbidden | Invalid:
    if exc.code == ACCESS_MODE_ERROR:
        return Forbidden(
            "refused: this runner is read-only and the query tries to write; nothing was changed",
            code="read_only",
        )
    return Invalid(f"the query failed: {exc.message or exc.code}", code="cypher_error")


def to_plain(value: Any) -> Any:
    """Driver values as plain Python: temporal types to datetime/date/time, durations and points to
    strings, recursively through lists and maps (nodes and relationships arrive as maps already)."""
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str | bytes):
        return value
    to_native = getattr(value, "to_native", None)
    if callable(to_native):
        try:
            return to_native()
        except (ValueError, OverflowError):  # a Neo4j time outside Python's range, a duration
            return str(value)
    return str(value)
