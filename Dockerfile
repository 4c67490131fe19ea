# FeedGraph API / worker / scheduler image (docker-compose.yml builds it for all three).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY . .
RUN pip install -c constraints.txt .

# The wheel built from pyproject.toml carries the Python packages (and cache/lua/*.lua), not
# cypher/*.cypher (graph/queries.py reads ../cypher next to the graph package): import the packages
# from this source tree, where those files sit; `pip install` above still provides the locked
# dependencies and the `feedgraph` script.
ENV PYTHONPATH=/app

RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /app feedgraph
USER feedgraph

EXPOSE 8000
CMD ["feedgraph", "serve", "--host", "0.0.0.0"]
