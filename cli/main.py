"""``feedgraph``: serve the API, run the worker, load demo data, manage the schema."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys

import typer
import uvicorn

from api.serving import CoalescingHttpToolsProtocol
from cli import bench as bench_cli
from cli import cypher as cypher_cli
from cli import jobs as jobs_cli
from core.settings import get_settings

app = typer.Typer(help="FeedGraph: social feeds on Neo4j, Redis, S3 and OpenSearch.", no_args_is_help=True)
demo_app = typer.Typer(help="The small demo dataset used by `make run`.", no_args_is_help=True)
schema_app = typer.Typer(help="The Neo4j schema (constraints and indexes).", no_args_is_help=True)
app.add_typer(demo_app, name="demo")
app.add_typer(schema_app, name="schema")
app.add_typer(cypher_cli.app, name="cypher")
app.add_typer(jobs_cli.app, name="jobs")
app.add_typer(bench_cli.app, name="bench")


@app.command()
def serve(
    with_worker: bool = typer.Option(False, "--with-worker", help="also run the background worker process"),
    host: str | None = typer.Option(None, help="bind address (default: FEEDGRAPH_API_HOST)"),
    port: int | None = typer.Option(None, help="port (default: FEEDGRAPH_API_PORT)"),
    workers: int = typer.Option(1, help="API processes"),
) -> None:
    """Serve the REST API (OpenAPI at /docs); Ctrl-C stops the API and the worker."""
    settings = get_settings()
    worker: subprocess.Popen[bytes] | None = None
    if with_worker:
        worker = subprocess.Popen([sys.executable, "-m", "cli.main", "worker"])
    try:
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=host or settings.api_host,
            port=port or settings.api_port,
            workers=workers,
            log_level=settings.log_level.lower(),
            http=CoalescingHttpToolsProtocol,  # one write per response (api/serving.py)
        )
    finally:
        if worker is not None and worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()


@app.command()
def worker() -> None:
    """Run the background worker: outbox relay and event consumers (scale by running several)."""
    from feed.worker import run_worker

    asyncio.run(run_worker(get_settings()))


@schema_app.command("apply")
def schema_apply() -> None:
    """Apply every constraint and index of cypher/schema (idempotent)."""
    from graph.driver import connect_and_prepare

    async def _apply() -> None:
        graph = await connect_and_prepare(get_settings())
        await graph.close()

    asyncio.run(_apply())
    typer.echo("schema applied")


@demo_app.command("load")
def demo_load(
    users: int = typer.Option(60, min=2, max=10_000, help="number of demo users"),
    seed: int = typer.Option(7, help="random seed (same seed, same dataset)"),
) -> None:
    """Load a small demo social graph (idempotent: skipped when it is already there)."""
    from cli.demo import load_demo

    asyncio.run(load_demo(get_settings(), users=users, seed=seed))


if __name__ == "__main__":
    app()
