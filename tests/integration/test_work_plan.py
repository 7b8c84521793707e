"""One test per point where the system departed from the work plan (issue 15).

Each test is named after the policy sentence it enforces; the sentence itself is quoted in the
docstring. The finer cases of each point live beside the domain's own tests.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from licensing.catalogue.content import DUAL_TRACK_MESSAGE
from licensing.catalogue.demo import DEMO_FILE
from licensing.catalogue.errors import CatalogueImportFailed, VersionIncomplete
from licensing.catalogue.importer import import_catalogue
from licensing.catalogue.models import Track
from licensing.catalogue.services import create_item, publication_problems
from licensing.extensions import db
from tests.catalogue_factories import content, draft_item
from tests.factories import departments


def test_applicants_unwilling_or_unable_to_commit_go_the_general_way(session):
    """申请人不愿承诺或者无法承诺的，应当提交法定申请材料，按照一般程序办理。

    A commitment-only item is refused on import, on publish and by the database.
    """
    departments()
    session.commit()
    text = DEMO_FILE.read_text(encoding="utf-8").replace(
        "    tracks: [general, commitment]", "    tracks: [commitment]", 1)
    with pytest.raises(CatalogueImportFailed) as refused:
        import_catalogue(text, publish=True)
    assert any(DUAL_TRACK_MESSAGE in problem for problem in refused.value.errors)
    session.rollback()

    with pytest.raises(VersionIncomplete) as incomplete:
        create_item("T-DUAL-1", content(tracks=(Track.commitment,)))
    assert DUAL_TRACK_MESSAGE in str(incomplete.value.problems[0])

    version = draft_item()
    version.offers_general = False  # as a console session or a bug would
    with db.session.no_autoflush:
        assert DUAL_TRACK_MESSAGE in [p.message for p in publication_problems(version)]
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    session.rollback()
