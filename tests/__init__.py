"""The test suite.

The collector runs less often in test processes (``gc.set_threshold`` below, before the
suite's modules are imported): a test process holds some 470,000 objects once the application,
SQLAlchemy, Hypothesis and schemathesis are loaded, and with Python's default thresholds
(700, 10, 10) the cyclic collector went over them so often that it took about a third of the
CPU time of the integration tests. ``tests/conftest.py`` also moves what collection leaves
into the permanent generation (``gc.freeze``), so that the collections during the tests only
go over what the tests make. Garbage is still collected; only later, in larger batches.
``docs/decisions/0024-test-isolation.md`` (Session 6) has the figures.
"""

import gc

#: Allocations between two collections of the youngest generation (Python's default: 700),
#: and how many of those between collections of the older ones (10, 10).
GC_THRESHOLDS = (50_000, 20, 20)

gc.set_threshold(*GC_THRESHOLDS)
