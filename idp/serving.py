"""How `sageid-idp serve` runs uvicorn: logs every worker keeps, slow clients bounded and
responses in one write (`idp.web.protocol`), shutdown bounded, proxy headers only from trusted
addresses, metrics across workers. `make bench` serves through it too (bench/serve.py)."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass

from idp.logs import log_config

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
APP = "idp.asgi:app_factory"


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    log_format: str = "text"
    access_log: bool = True
    # Behind a reverse proxy: take the client address from `X-Forwarded-For`, but only when
    # the connection comes from one of these addresses (else anyone could pick theirs, and
    # walk around the per-IP throttles).
    proxy_headers: bool = False
    forwarded_allow_ips: str = "127.0.0.1"
    # Requests still running when asked to stop get this long, then are cut.
    graceful_timeout: int = 10


def run(options: ServeOptions, app: str = APP, factory: bool = True) -> None:
    import uvicorn

    from idp.web.protocol import ServingProtocol

    metrics_dir = None
    if options.workers > 1 and not os.environ.get(MULTIPROC_ENV):
        # prometheus-client's multiprocess mode: each worker writes its values there, a scrape
        # of any worker adds them up. Read by the workers' settings (they inherit the variable).
        metrics_dir = tempfile.mkdtemp(prefix="sageid-metrics-")
        os.environ[MULTIPROC_ENV] = metrics_dir
    try:
        uvicorn.run(
            app,
            factory=factory,
            host=options.host,
            port=options.port,
            workers=options.workers,
            http=ServingProtocol,
            proxy_headers=options.proxy_headers,
            forwarded_allow_ips=options.forwarded_allow_ips,
            server_header=False,
            log_config=log_config(options.log_format, options.access_log),
            access_log=False,  # the provider writes its own (`idp.web.observe`)
            timeout_graceful_shutdown=options.graceful_timeout,
        )
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
