"""The ``feedgraph`` command line (typer)."""
