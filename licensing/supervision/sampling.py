"""Routine supervision sampling (日常监管抽查) by credit risk level only (分级分类监管).

The work plan forbids discriminatory supervision of licensees who came by the commitment
track (工作方案 三（四）: 行业监管部门不得对通过告知承诺制方式办理的企业和群众采取歧视性监管措施).
Routine supervision beyond the one commitment check therefore draws its sample here, from
inputs that cannot carry the track: the licensee's identity and credit risk level. The query
reads licences and item versions (for the supervisory department), never applications, where
the track is stored. docs/no-discrimination.md explains the guarantees and their tests.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from sqlalchemy import Select, select

from licensing.applicants.models import RISK_LEVELS, Applicant
from licensing.audit.services import record_audit
from licensing.auth.models import Department
from licensing.cases.models import Licence, LicenceStatus
from licensing.catalogue.models import ItemVersion
from licensing.clock import utcnow
from licensing.credit.services import sampling_ratios
from licensing.extensions import db
from licensing.supervision.models import RoutineInspection

#: The level used for a licensee whose risk level was never computed.
UNKNOWN_LEVEL = "B"


@dataclass(frozen=True)
class Licensee:
    """One licensee in the sampling frame: who, and their credit risk level."""

    applicant_id: int
    risk_level: str


@dataclass(frozen=True)
class RoutineSample:
    """The outcome of one draw: reproducible from its department, ratios and seed."""

    department_id: int
    seed: str
    ratios: Mapping[str, Decimal]
    population: Mapping[str, int]  # licensees per risk level
    drawn: tuple[Licensee, ...] = field(default=())

    @property
    def applicant_ids(self) -> list[int]:
        """Return the ids of the drawn applicants, in draw order."""
        return [licensee.applicant_id for licensee in self.drawn]


def sampling_frame_query(department_id: int) -> Select:
    """Select ``(applicant_id, risk_level)`` of every holder of a valid licence under a department.

    The columns selected are the whole input of the draw: the track is not among them and no
    table holding it is joined.
    """
    return (
        select(Applicant.id, Applicant.risk_level)
        .join(Licence, Licence.applicant_id == Applicant.id)
        .join(ItemVersion, ItemVersion.id == Licence.item_version_id)
        .where(ItemVersion.supervisory_department_id == department_id,
               Licence.status == LicenceStatus.valid,
               Licence.cancelled_on.is_(None))  # a cancelled (注销) licence is not supervised
        .distinct()
        .order_by(Applicant.id)
    )


def sampling_frame(department_id: int) -> list[Licensee]:
    """Return the licensees a department supervises, in applicant id order."""
    rows = db.session.execute(sampling_frame_query(department_id)).all()
    return [Licensee(row[0], row[1] if row[1] in RISK_LEVELS else UNKNOWN_LEVEL)
            for row in rows]


def default_ratios() -> dict[str, Decimal]:
    """Return the credit domain's sampling ratio of every risk level."""

    return dict(sampling_ratios())


def draw_from_frame(frame: list[Licensee], ratios: Mapping[str, Decimal | float | str],
                    seed: str) -> tuple[Licensee, ...]:
    """Draw ``ceil(ratio x count)`` licensees of each risk level, reproducibly from ``seed``.

    Pure: the result depends on the frame (identities and levels) and the ratios and seed
    only. Each level is drawn from its own generator, seeded with ``seed`` and the level, over
    the level's licensees sorted by id.
    """
    drawn: list[Licensee] = []
    for level in RISK_LEVELS:
        members = sorted((lic for lic in frame if lic.risk_level == level),
                         key=lambda lic: lic.applicant_id)
        ratio = Decimal(str(ratios.get(level, 0)))
        if not Decimal(0) <= ratio <= Decimal(1):
            raise ValueError(f"sampling ratio of {level} must be between 0 and 1")
        count = int((ratio * len(members)).to_integral_value(rounding=ROUND_CEILING))
        if not members or count == 0:
            continue
        generator = random.Random(f"{seed}:{level}")
        drawn.extend(sorted(generator.sample(members, count), key=lambda lic: lic.applicant_id))
    return tuple(drawn)


def draw_routine_sample(department: Department | int,
                        ratio_by_risk_level: Mapping[str, Decimal | float | str] | None = None,
                        seed: str | int | None = None,
                        *, actor=None, create_inspections: bool = False) -> RoutineSample:
    """Draw a department's routine supervision sample by credit risk level only.

    ``ratio_by_risk_level`` maps ``A``-``D`` to a share between 0 and 1 (default: the credit
    domain's ``sampling_ratios()``). Without ``seed`` the draw is unpredictable: a fresh seed
    from ``secrets`` (nobody, the department head included, can know the sample beforehand);
    the seed is recorded after the draw (audit entry, and on each inspection) and published
    with the result, so the draw can be reproduced for an audit by passing it back as
    ``seed``. With ``create_inspections`` each valid licence of a drawn licensee under the
    department becomes a ``RoutineInspection`` for the inspectors (a reproduction creates
    none).
    """
    department_id = department if isinstance(department, int) else department.id
    ratios = {level: Decimal(str(value)) for level, value in
              (ratio_by_risk_level or default_ratios()).items() if level in RISK_LEVELS}
    seed = secrets.token_hex(16) if seed is None or str(seed) == "" else str(seed)
    frame = sampling_frame(department_id)
    drawn = draw_from_frame(frame, ratios, seed)
    population = {level: sum(1 for lic in frame if lic.risk_level == level)
                  for level in RISK_LEVELS}
    inspections = (_open_inspections(department_id, drawn, seed) if create_inspections
                   else [])
    record_audit("routine_sample.drawn", object_type="department", object_id=department_id,
                 actor=actor,
                 changes={"seed": seed, "ratios": ratios, "population": population,
                          "drawn": [lic.applicant_id for lic in drawn],
                          "inspections": [i.id for i in inspections]})
    return RoutineSample(department_id, seed, ratios, population, drawn)


def _open_inspections(department_id: int, drawn, seed: str) -> list[RoutineInspection]:
    levels = {lic.applicant_id: lic.risk_level for lic in drawn}
    licences = db.session.scalars(
        select(Licence).join(ItemVersion, ItemVersion.id == Licence.item_version_id)
        .where(ItemVersion.supervisory_department_id == department_id,
               Licence.status == LicenceStatus.valid,
               Licence.applicant_id.in_(list(levels)))
        .order_by(Licence.applicant_id, Licence.id))
    inspections = [RoutineInspection(draw_seed=seed, drawn_dt=utcnow(), licence_id=lic.id,
                                     applicant_id=lic.applicant_id,
                                     supervisory_department_id=department_id,
                                     risk_level=levels[lic.applicant_id])
                   for lic in licences]
    db.session.add_all(inspections)
    db.session.flush()
    return inspections
