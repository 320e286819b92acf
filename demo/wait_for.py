"""Wait until an address answers (used by bin/run-local instead of curl, which a fresh machine may lack)."""

from __future__ import annotations

import argparse
import time
import urllib.error
import urllib.request


def wait_for(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - a loopback address we were given
                return True
        except urllib.error.HTTPError:
            return True  # it answered
        except OSError:
            time.sleep(0.2)
    return False


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    if not wait_for(args.url, args.seconds):
        raise SystemExit(f"{args.url} did not answer within {args.seconds:g} s")


if __name__ == "__main__":
    main()
