# FeedGraph API / worker / scheduler image (docker-compose.yml builds it for all three).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY . .
RUN pip install .

# The wheel built from pyproject.toml carries the Python packages only: not cypher/*.cypher
# (graph/queries.py reads ../cypher next to the graph package) nor cache/lua/*.lua. Until
# pyproject.toml ships them as package data, import the packages from this source tree, where
# those files sit; `pip install .` above still provides the dependencies and the `feedgraph` script.
ENV PYTHONPATH=/app

RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /app feedgraph
USER feedgraph

EXPOSE 8000
CMD ["feedgraph", "serve", "--host", "0.0.0.0"]
