"""`feedgraph cypher`: the analytics library and ad-hoc queries, always read-only."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from core.errors import AppError
from core.settings import get_settings
from graph.analytics import QueryResult, library, run_named, run_read_only
from graph.driver import Graph

app = typer.Typer(
    help="Read-only Cypher for data scientists: the named queries of cypher/analytics/ and ad-hoc ones.",
    no_args_is_help=True,
)


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


PARAM_HELP = "a query parameter as key=value (repeatable)"
FORMAT_HELP = "output format"
OUT_HELP = "write to this file instead of stdout"


@app.command("list")
def list_queries() -> None:
    """The named queries: name, purpose, parameters (with defaults) and result columns."""
    table = Table(title="cypher/analytics", show_lines=True)
    for column in ("name", "purpose", "parameters", "columns"):
        table.add_column(column, overflow="fold")
    for query in library().values():
        table.add_row(
            query.name,
            query.purpose,
            "\n".join(p.describe() for p in query.params) or "-",
            ", ".join(c.name for c in query.columns),
        )
    Console().print(table)


@app.command("run")
def run(
    name: str = typer.Argument(..., help="query name, as `feedgraph cypher list` shows it"),
    param: list[str] = typer.Option([], "--param", "-p", help=PARAM_HELP),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
    out: Path | None = typer.Option(None, "--out", "-o", help=OUT_HELP),
) -> None:
    """Run a named query; parameters not given take their defaults."""
    values = _parse_params(param, json_values=False)
    _execute(lambda graph: run_named(graph, name, values), fmt, out)


@app.command("query")
def query(
    cypher: str = typer.Argument(..., help="the Cypher text"),
    param: list[str] = typer.Option(
        [], "--param", "-p", help=PARAM_HELP + "; values are JSON when they parse"
    ),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
    out: Path | None = typer.Option(None, "--out", "-o", help=OUT_HELP),
) -> None:
    """Run an ad-hoc query in read access mode: a write is refused by Neo4j and changes nothing."""
    values = _parse_params(param, json_values=True)
    _execute(lambda graph: run_read_only(graph, cypher, values), fmt, out)


def _parse_params(pairs: list[str], *, json_values: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"expected key=value, got {pair!r}", param_hint="--param")
        values[key.strip()] = _json_or_text(value) if json_values else value
    return values


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def _execute(work: Callable[[Graph], Awaitable[QueryResult]], fmt: Format, out: Path | None) -> None:
    async def _run() -> QueryResult:
        graph = Graph.connect(get_settings())
        try:
            return await work(graph)
        finally:
            await graph.close()

    try:
        result = asyncio.run(_run())
    except AppError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    text = render(result, fmt)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"{len(result.rows)} rows written to {out}", err=True)


def render(result: QueryResult, fmt: Format) -> str:
    """The result as text: a rich table, CSV (lists and maps as JSON) or a JSON array of objects."""
    if fmt is Format.json:
        return orjson.dumps(result.rows, option=orjson.OPT_INDENT_2, default=str).decode() + "\n"
    if fmt is Format.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(result.columns)
        for row in result.rows:
            writer.writerow([_cell(row.get(c)) for c in result.columns])
        return buffer.getvalue()
    table = Table(*result.columns, caption=f"{len(result.rows)} rows")
    for row in result.rows:
        table.add_row(*[_cell(row.get(c)) for c in result.columns])
    console = Console(file=io.StringIO(), width=200)
    console.print(table)
    rendered: str = console.file.getvalue()  # type: ignore[attr-defined]
    return rendered


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return orjson.dumps(value, default=str).decode()
    return str(value)
