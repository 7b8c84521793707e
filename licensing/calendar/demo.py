"""The working-day calendar is loaded first in the demo: every deadline needs it."""

from licensing.calendar.services import sync_official_data
from licensing.demo import demo_loader


@demo_loader(order=5)
def load_calendar() -> None:
    """Load python-holidays' official years and project the next ones (idempotent)."""
    sync_official_data()
