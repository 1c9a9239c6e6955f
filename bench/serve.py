"""The bench's servers, run as `sageid-idp serve` runs the provider (`idp.serving.run`: its
HTTP protocol, logging, no proxy headers, no Server header), without the access log.

    python -m bench.serve PORT WORKERS APP [--factory]
"""

from __future__ import annotations

import argparse

from idp.serving import ServeOptions, run


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.serve")
    parser.add_argument("port", type=int)
    parser.add_argument("workers", type=int)
    parser.add_argument("app", help="module:attribute")
    parser.add_argument("--factory", action="store_true", help="the attribute builds the app")
    arguments = parser.parse_args()
    options = ServeOptions(port=arguments.port, workers=arguments.workers, access_log=False)
    run(options, arguments.app, arguments.factory)


if __name__ == "__main__":
    main()
