"""OpenSearch failures translated at the edge of search/: clients get our error codes, never the
engine's error text (which can leak index names and query internals)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from opensearchpy.exceptions import (
    ConnectionError as OpenSearchConnectionError,
)
from opensearchpy.exceptions import (
    NotFoundError,
    OpenSearchException,
    RequestError,
    TransportError,
)

from core.errors import AppError, Invalid, Unavailable

log = logging.getLogger(__name__)

# Statuses that mean "the cluster cannot serve this now", not "this request is wrong".
_OVERLOADED = {429, 502, 503, 504}


def is_outage(exc: BaseException) -> bool:
    """OpenSearch unreachable or overloaded (worth retrying later, not a bad request or document)."""
    if isinstance(exc, OpenSearchConnectionError | OSError | TimeoutError):
        return True
    if isinstance(exc, TransportError):
        return isinstance(exc.status_code, int) and exc.status_code in _OVERLOADED
    return False


@asynccontextmanager
async def search_errors() -> AsyncIterator[None]:
    """For request handlers: an outage is a 503, a refused query a 400, both with our own wording."""
    try:
        yield
    except AppError:
        raise
    except NotFoundError as exc:  # an index vanished (deleted by hand): not ready, not the client's fault
        log.warning("search index missing: %s", exc)
        raise Unavailable("search is not ready yet", code="search_unavailable") from exc
    except RequestError as exc:
        # Inputs are validated before a query is built, so this is rare (e.g. too many clauses).
        log.warning("search query refused: %s", exc)
        raise Invalid("this search cannot be run; simplify it", code="invalid_search") from exc
    except (OpenSearchException, OSError, TimeoutError) as exc:
        log.warning("search unavailable: %r", exc)
        raise Unavailable("search is unavailable", code="search_unavailable") from exc
