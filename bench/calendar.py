"""Benchmark: microseconds per ``WorkingCalendar.due(start, 60)``.

Run standalone from the repository root or anywhere: ``.venv/bin/python bench/calendar.py``.
The calendar is built from python-holidays (no database); 100,000 start days are drawn at
random (fixed seed) from the years whose 60th working day is still inside the data. The last
line is ``us_per_due=<float>``; the target is at most 2 µs.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import date
from pathlib import Path

# This file is named like the standard library's ``calendar``: drop its own folder from the
# import path (Python puts it first) before anything imports ``calendar``, then add the root.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from licensing.calendar.sources import default_calendar  # noqa: E402

SAMPLES = 100_000
WORKING_DAYS = 60
REPEATS = 7


def main() -> None:
    """Time ``due(start, 60)`` over random start days and print the best of a few runs."""
    calendar = default_calendar()
    rng = random.Random(20261129)
    first = calendar.first_day.toordinal()
    last = date(calendar.last_day.year - 1, 12, 31).toordinal()
    starts = [date.fromordinal(rng.randint(first, last)) for _ in range(SAMPLES)]
    due = calendar.due
    best = float("inf")
    for _ in range(REPEATS):
        began = time.perf_counter()
        for start in starts:
            due(start, WORKING_DAYS)
        best = min(best, time.perf_counter() - began)
    print(f"calendar {calendar.first_day}..{calendar.last_day}, {SAMPLES} starts, "
          f"n={WORKING_DAYS}, best of {REPEATS} runs")
    print(f"us_per_due={best / SAMPLES * 1e6:.3f}")


if __name__ == "__main__":
    main()
