"""Log configuration for `sageid-idp serve`: plain text or one JSON object a line.

It is handed to uvicorn as its `log_config`, which every worker process applies when it
starts (`logging.basicConfig` in the parent reached none of them: with `--workers 2` every
INFO line of the workers was lost). uvicorn's own access line is replaced by the provider's
(`idp.web.observe`), which knows the request id, the route and the OAuth client.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"
# What `idp.web.observe` attaches to its access lines, and errors their request id.
EXTRA_FIELDS = ("request_id", "route", "status", "duration_ms", "client_id")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        for name in EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def log_config(log_format: str, access_log: bool) -> dict[str, Any]:
    formatter: dict[str, Any] = (
        {"()": "idp.logs.JsonFormatter"} if log_format == "json" else {"format": TEXT_FORMAT}
    )
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": "INFO"},
        "loggers": {
            # uvicorn's start-up and error lines go to the root handler, in the same format.
            "uvicorn": {"handlers": [], "level": "INFO", "propagate": True},
            "uvicorn.error": {"level": "INFO", "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "sageid.access": {"level": "INFO" if access_log else "WARNING"},
            "alembic": {"level": "WARNING"},  # the start-up schema check's plugin list
        },
    }
