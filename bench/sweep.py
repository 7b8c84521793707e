"""Time the overdue and due-soon sweeps over 1,000,000 open verification tasks (PostgreSQL).

    .venv/bin/python bench/sweep.py [--tasks 1000000] [--today 2026-11-30]

Creates a scratch database on the server of ``DATABASE_URL`` (else ``TEST_DATABASE_URL``, else
``postgresql://postgres@127.0.0.1:5432/postgres``), builds the schema from the models, loads
the calendar, and generates the tasks in one ``INSERT ... SELECT generate_series`` (the task
rows only: their foreign keys to licences, applications and item versions are dropped in the
scratch database, so no million applications need generating). Due dates spread evenly from
30 days before to 90 days after ``--today``; 80 % of the tasks are assigned to one of 20
inspectors of their department, the rest go to the department head.

Then it runs both sweeps (overdue marking, due-soon reminders) as the scheduler does at 09:00:

1. on the day before ``--today``, with nothing marked or sent before: the catch-up after long
   downtime, where a quarter of the tasks are overdue at once (reported, not the target);
2. on ``--today``: the daily run over the same million open tasks, which marks the tasks
   that fell due since and reminds those that entered a reminder window: the figure timed;
3. on ``--today`` again: a repeated run, which finds nothing to do and sends nothing twice.

Each sweep is set-based: ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` for the notices,
one ``GROUP BY`` for the heads' digests, one ``UPDATE ... RETURNING`` for the marking, on the
indexed due-date column. Prints the figures and, on its last line, ``sweep_s=`` the daily run
(overdue + due-soon). The scratch database is dropped at the end. Target: under 5 seconds.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.settings import Settings, normalise_database_url
from licensing import create_app
from licensing.clock import LOCAL_TZ
from licensing.extensions import db

INSPECTORS_PER_DEPARTMENT = 20


def server_url() -> str:
    for name in ("DATABASE_URL", "TEST_DATABASE_URL"):
        url = os.environ.get(name, "")
        if url.startswith(("postgresql", "postgres:")):
            return url
    return "postgresql://postgres@127.0.0.1:5432/postgres"


def scratch_database(url: str):
    base = make_url(normalise_database_url(url))
    name = f"licensing_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return admin, name, base.set(database=name).render_as_string(hide_password=False)


def build(tasks: int, today: date) -> None:
    from licensing.auth.demo import ensure_demo_departments
    from licensing.auth.models import Department, DepartmentKind, Role, User
    from licensing.calendar.services import sync_official_data

    db.create_all()
    ensure_demo_departments()
    sync_official_data(today)
    db.session.commit()
    departments = db.session.scalars(sa.select(Department).order_by(Department.id)).all()
    supervisory = [d.id for d in departments if d.kind == DepartmentKind.supervisory]
    approval = next(d.id for d in departments if d.kind == DepartmentKind.approval)
    users = []
    for dept in supervisory:
        users.append({"username": f"head{dept}", "role": Role.head, "department_id": dept})
        users += [{"username": f"insp{dept}_{i}", "role": Role.inspector, "department_id": dept}
                  for i in range(INSPECTORS_PER_DEPARTMENT)]
    db.session.execute(sa.insert(User), [
        {**u, "display_name": u["username"], "password_hash": "x", "session_token": u["username"]}
        for u in users])
    db.session.commit()

    conn = db.session.connection()
    for (constraint,) in conn.execute(sa.text(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'verification_tasks'::regclass "
            "AND contype = 'f' AND confrelid::regclass::text IN "
            "('licences', 'applications', 'item_versions')")):
        conn.execute(sa.text(f'ALTER TABLE verification_tasks DROP CONSTRAINT "{constraint}"'))
    n_dept = len(supervisory)
    # Inspector ids: per department, consecutive (inserted in that order after the head).
    first_user = {row.department_id: row.first for row in conn.execute(sa.text(
        "SELECT department_id, min(id) + 1 AS first FROM users GROUP BY department_id"))}
    dept_array = "ARRAY[" + ",".join(str(d) for d in supervisory) + "]"
    first_array = "ARRAY[" + ",".join(str(first_user[d]) for d in supervisory) + "]"
    conn.execute(sa.text(f"""
        INSERT INTO verification_tasks (
            id, licence_id, application_id, supervisory_department_id, approval_department_id,
            item_version_id, status, moved_checks, assigned_to_id, created_dt, pushed_late,
            lock_version,
            verification_rule, verification_working_days, verification_start_event,
            verification_start_on, verification_due_on, verification_provisional,
            verification_calendar_version)
        SELECT g, g, g, ({dept_array})[1 + g % {n_dept}], {approval}, 1, 'open', '[]',
               CASE WHEN g % 5 = 0 THEN NULL
                    ELSE ({first_array})[1 + g % {n_dept}]
                         + (g / {n_dept}) % {INSPECTORS_PER_DEPARTMENT}
               END,
               now(), false, 1,
               'standard_60', 60, 'licence_issued',
               due - 84, due, false, 1
        FROM generate_series(1, {tasks}) AS g,
             LATERAL (SELECT DATE '{today.isoformat()}' - 30 + (g % 121)) AS d(due)
    """))
    conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('verification_tasks', 'id'), "
                         f"{tasks})"))
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(sa.text("VACUUM ANALYZE verification_tasks"))
        c.execute(sa.text("VACUUM ANALYZE users"))


def timed(fn, *args) -> tuple[float, int]:
    started = time.perf_counter()
    result = fn(*args)
    db.session.commit()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 30))
    args = parser.parse_args()

    admin, name, url = scratch_database(server_url())
    try:
        tmp = Path(tempfile.mkdtemp())
        app = create_app(Settings(env="testing", database_url=url, secret_key="b" * 40,
                                  instance_dir=tmp, testing=True, upload_dir=tmp / "uploads"))
        with app.app_context():
            from licensing.notifications.models import Notification
            from licensing.supervision.jobs import (
                verification_due_soon_sweep,
                verification_overdue_sweep,
            )

            started = time.perf_counter()
            build(args.tasks, args.today)
            print(f"generated {args.tasks} open tasks in {time.perf_counter() - started:.1f} s "
                  f"(database {name})")

            def sweeps(day: date) -> tuple[float, float, int, int]:
                now = datetime.combine(day, dtime(9), tzinfo=LOCAL_TZ)
                overdue_s, marked = timed(verification_overdue_sweep, now)
                due_soon_s, sent = timed(verification_due_soon_sweep, now)
                return overdue_s, due_soon_s, marked, sent

            yesterday = args.today - timedelta(days=1)
            o, d, marked, sent = sweeps(yesterday)
            print(f"catch-up run {yesterday} (nothing marked before, as after long downtime): "
                  f"overdue {o:.3f} s ({marked} marked), due-soon {d:.3f} s ({sent} sent), "
                  f"total {o + d:.3f} s")
            overdue_s, due_soon_s, marked, sent = sweeps(args.today)
            print(f"daily run {args.today}: overdue {overdue_s:.3f} s ({marked} marked), "
                  f"due-soon {due_soon_s:.3f} s ({sent} sent)")
            o, d, marked, sent = sweeps(args.today)
            print(f"repeated run {args.today}: overdue {o:.3f} s ({marked} marked), "
                  f"due-soon {d:.3f} s ({sent} sent)")
            total = db.session.scalar(sa.select(sa.func.count(Notification.id)))
            print(f"notifications in the database: {total}")
            db.session.remove()
            db.engine.dispose()
        print(f"sweep_s={overdue_s + due_soon_s:.3f}")
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
