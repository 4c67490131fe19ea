"""``python -m bench.serve --port P --workers N``: uvicorn serving bench/app.py (see bench/common.py)."""

from __future__ import annotations

import argparse

import uvicorn

from api.serving import CoalescingHttpToolsProtocol
from core.settings import get_settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    uvicorn.run(
        "bench.app:create_bench_app",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        log_level=get_settings().log_level.lower(),
        http=CoalescingHttpToolsProtocol,  # one write per response (api/serving.py)
        access_log=False,  # one log line per request would cost more than some of the requests
    )


if __name__ == "__main__":
    main()
