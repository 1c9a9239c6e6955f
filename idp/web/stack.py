"""`Provider`: a Starlette application whose outermost layer is `idp.web.observe.Observe`.

Starlette would put its `ServerErrorMiddleware` there, which logs an unexpected error, renders
it and raises it again, so the server logs it twice and drops the connection
(`idp.web.unexpected`). The rest of the stack is Starlette's: the user middleware, then the
exception handlers (`idp.web.errors`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.types import ASGIApp

from idp.metrics import Metrics
from idp.web.observe import Observe


class Provider(Starlette):
    def __init__(self, metrics: Metrics, named_paths: Iterable[str] = (), **kwargs: Any) -> None:
        self.metrics = metrics
        self.named_paths = tuple(named_paths)
        super().__init__(**kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        middleware = [
            Middleware(Observe, metrics=self.metrics, named_paths=self.named_paths),
            *self.user_middleware,
            Middleware(
                ExceptionMiddleware, handlers=dict(self.exception_handlers), debug=self.debug
            ),
        ]
        app: ASGIApp = self.router
        for cls, args, kwargs in reversed(middleware):
            app = cls(app, *args, **kwargs)
        return app
