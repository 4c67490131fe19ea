"""Notebook entry point: the Cypher library as pandas DataFrames (``pip install 'feedgraph[analytics]'``).

    from graph.notebook import connect
    fg = connect()                                   # FEEDGRAPH_* settings / .env, like the app
    fg.queries()                                     # the library: name, purpose, parameters, columns
    df = fg.run("top_accounts_by_followers", limit=10)
    df = fg.query(cypher_text)                       # any ad-hoc query, run read-only
    fg.close()

It uses the synchronous driver on purpose: Jupyter already runs an event loop, where the app's async
Graph could not be driven with ``asyncio.run``. Every query runs with READ routing, so a write is
refused by Neo4j (:class:`core.errors.Forbidden`) and changes nothing."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

from neo4j import Driver, GraphDatabase, Record, RoutingControl
from neo4j import exceptions as neo4j_errors

from core.errors import Invalid
from core.settings import Settings, get_settings
from graph.analytics import get_query, library, to_plain, translate_client_error

if TYPE_CHECKING:
    import pandas as pd


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as exc:  # the optional extra is not installed
        raise RuntimeError("pandas is needed here: pip install 'feedgraph[analytics]'") from exc
    return pandas


class Notebook:
    """A read-only handle on the graph for notebooks; a context manager that closes the driver."""

    def __init__(self, driver: Driver, database: str) -> None:
        self._driver = driver
        self.database = database

    def queries(self) -> pd.DataFrame:
        """The named queries: name, purpose, parameters (with defaults) and columns."""
        rows = [
            {
                "name": q.name,
                "purpose": q.purpose,
                "parameters": ", ".join(p.describe() for p in q.params),
                "columns": ", ".join(c.name for c in q.columns),
            }
            for q in library().values()
        ]
        frame: pd.DataFrame = _pandas().DataFrame(rows, columns=["name", "purpose", "parameters", "columns"])
        return frame

    def run(self, name: str, **params: Any) -> pd.DataFrame:
        """A named query of ``cypher/analytics`` with its defaults for the parameters not given."""
        query = get_query(name)
        return self.query(query.text, **query.bind(params))

    def query(self, cypher: str, **params: Any) -> pd.DataFrame:
        """Any read-only Cypher; the columns are the query's RETURN columns, in order."""
        if not cypher.strip():
            raise Invalid("the query is empty", code="cypher_error")
        pandas = _pandas()
        try:
            records, _, keys = self._driver.execute_query(
                cypher,  # the analyst's own query, run read-only
                params,
                routing_=RoutingControl.READ,
                database_=self.database,
            )
        except neo4j_errors.ClientError as exc:
            raise translate_client_error(exc) from exc
        frame: pd.DataFrame = pandas.DataFrame([_row(r) for r in records], columns=list(keys))
        return frame

    def close(self) -> None:
        self._driver.close()

    def __enter__(self) -> Notebook:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _row(record: Record) -> dict[str, Any]:
    return {k: to_plain(v) for k, v in record.data().items()}


def connect(settings: Settings | None = None) -> Notebook:
    """A :class:`Notebook` on the database named by the settings (default: environment and ``.env``)."""
    settings = settings or get_settings()
    auth = (settings.neo4j_user, settings.neo4j_password.get_secret_value()) if settings.neo4j_auth else None
    driver = GraphDatabase.driver(settings.neo4j_uri, auth=auth, notifications_min_severity="OFF")
    return Notebook(driver, settings.neo4j_database)
