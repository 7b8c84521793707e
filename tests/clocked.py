"""Run the ``flask`` command line on the suite's test clock, for tests that start processes.

``python -m tests.clocked --app wsgi scheduler run`` is ``flask --app wsgi scheduler run`` with
``licensing.clock`` running from ``LICENSING_TEST_NOW`` (an ISO instant), so a child process
lives on the same date as the test that started it.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime

from flask.cli import main

from licensing import clock

if __name__ == "__main__":
    start = os.environ.get("LICENSING_TEST_NOW")
    if start:
        clock.travel(datetime.fromisoformat(start))
    sys.argv[0] = "flask"
    main()
