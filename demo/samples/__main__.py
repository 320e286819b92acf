"""``python -m demo.samples``: serve the CRM, ERP and billing sample systems until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from demo.samples.runner import DEFAULT_PORTS, start_sample_systems
from demo.samples.secrets import default_secrets_path, load_or_create_secrets

_AUTH_STYLES = {"crm": "bearer token", "erp": "HTTP basic", "billing": "X-Api-Key header"}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    secrets = load_or_create_secrets(args.secrets)
    ports = {name: getattr(args, f"{name}_port") for name in DEFAULT_PORTS}
    try:
        systems = start_sample_systems(secrets, args.host, ports, verbose=args.verbose)
    except OSError as error:
        print(f"cannot start the sample systems: {error}", file=sys.stderr)
        return 1
    stop = threading.Event()
    _on_signals(stop)
    for name, url in systems.urls.items():
        print(f"{name:<8} {url}  ({_AUTH_STYLES[name]}; credentials in {args.secrets})", flush=True)
    stop.wait()
    systems.stop()
    print("sample systems stopped", flush=True)
    return 0


def _on_signals(stop: threading.Event) -> None:
    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m demo.samples", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("HUB_SAMPLE_HOST", "127.0.0.1"))
    for name, port in DEFAULT_PORTS.items():
        env = f"HUB_SAMPLE_{name.upper()}_PORT"
        # A string default goes through type=_port too, so a bad environment value is a usage error.
        parser.add_argument(
            f"--{name}-port", type=_port, default=os.environ.get(env, str(port)), help=f"env {env}"
        )
    parser.add_argument(
        "--secrets", type=Path, default=default_secrets_path(), help="JSON file, created if missing"
    )
    parser.add_argument("--verbose", action="store_true", help="log each request to stderr")
    return parser


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port out of range: {port}")
    return port


if __name__ == "__main__":
    sys.exit(main())
