"""Say plainly, before the suite starts, whether the browser tests will run."""

from __future__ import annotations

import sys

from tests.e2e.browser import chromium_path, must_run


def main() -> int:
    """Print what will happen to the end-to-end tests; fail in CI when they cannot run."""
    path = chromium_path()
    if path:
        print(f"end-to-end tests: will run in {path}")
        return 0
    if must_run():
        print("end-to-end tests: Chromium not found, and CI requires them "
              "(apt-get install chromium)", file=sys.stderr)
        return 1
    print("end-to-end tests: SKIPPED — Chromium is not installed "
          "(install Debian's package: apt-get install chromium)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
