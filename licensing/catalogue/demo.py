"""The demo catalogue: config/catalogue/demo.yaml, published from the policy's start date.

The file is DEMO DATA: the city's own list of 30 items (the attachment of 定政办字〔2022〕96号)
was not published with the policy; the city replaces this file with its own list.
"""

from __future__ import annotations

from datetime import date

from config.settings import ROOT
from licensing.catalogue.errors import CatalogueImportFailed
from licensing.catalogue.importer import import_catalogue
from licensing.clock import local_today
from licensing.demo import demo_loader

DEMO_FILE = ROOT / "config" / "catalogue" / "demo.yaml"
#: The work plan is in force city-wide from this day (工作方案 四（一））.
POLICY_START_ON = date(2022, 12, 1)


@demo_loader(order=30)
def load_demo_catalogue() -> None:
    """Import and publish the demo catalogue (idempotent: an unchanged file changes nothing).

    First versions are valid from the policy's start; an item whose demo text changed since
    the last load gets a new version valid from today, as an administrator's would.
    """
    try:
        import_catalogue(DEMO_FILE.read_bytes(), publish=True, valid_from_on=POLICY_START_ON,
                         superseding_valid_from_on=local_today(), exclusions_confirmed=True)
    except CatalogueImportFailed as exc:
        raise RuntimeError(f"{DEMO_FILE}: " + "\n".join(exc.errors)) from exc
