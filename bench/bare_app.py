"""The bare reference stack for ``bench/http.py``: Flask + Flask-SQLAlchemy + psycopg, no project.

One endpoint, ``POST /pair``, does what a minimal intake-and-decision request would do against
PostgreSQL in one transaction, in the statement shape issue 18 names: 5 SELECT + 3 INSERT +
1 UPDATE (the bearer token, the item, the applicant, the idempotency key, the counter; the case,
its event, its licence; the counter moved on), then commits and answers JSON. It is the ceiling
a Flask application on this machine, these workers and this database can reach; the project's
rate is measured against it in the same run.

``BARE_DATABASE_URL`` names the database (``bench/http.py`` gives it its scratch database);
``prepare(url)`` creates and fills the ``bare_*`` tables before gunicorn starts.
"""

from __future__ import annotations

import json
import os
import uuid

import sqlalchemy as sa
from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy

TOKEN = "bare-token"  # a bench fixture, not a secret

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS bare_users (id serial PRIMARY KEY, token text UNIQUE, "
    "name text)",
    "CREATE TABLE IF NOT EXISTS bare_items (id serial PRIMARY KEY, code text UNIQUE, name text)",
    "CREATE TABLE IF NOT EXISTS bare_applicants (id serial PRIMARY KEY, code text UNIQUE, "
    "name text)",
    "CREATE TABLE IF NOT EXISTS bare_counters (id integer PRIMARY KEY, last_seq integer)",
    "CREATE TABLE IF NOT EXISTS bare_cases (id serial PRIMARY KEY, key text UNIQUE, "
    "item_id integer, applicant_id integer, status text, created_dt timestamptz DEFAULT now())",
    "CREATE TABLE IF NOT EXISTS bare_events (id serial PRIMARY KEY, case_id integer, "
    "action text, payload jsonb)",
    "CREATE TABLE IF NOT EXISTS bare_licences (id serial PRIMARY KEY, case_id integer, "
    "number text UNIQUE)",
)


def prepare(url: str) -> None:
    """Create the bare tables in ``url`` and put in the one user, item, applicant and counter."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in SCHEMA:
            conn.exec_driver_sql(statement)
        conn.execute(sa.text("INSERT INTO bare_users (token, name) VALUES (:t, 'bench') "
                             "ON CONFLICT DO NOTHING"), {"t": TOKEN})
        conn.execute(sa.text("INSERT INTO bare_items (code, name) VALUES ('XK-1', '事项') "
                             "ON CONFLICT DO NOTHING"))
        conn.execute(sa.text("INSERT INTO bare_applicants (code, name) VALUES ('A-1', '企业') "
                             "ON CONFLICT DO NOTHING"))
        conn.execute(sa.text("INSERT INTO bare_counters (id, last_seq) VALUES (1, 0) "
                             "ON CONFLICT DO NOTHING"))
    engine.dispose()


def create_app(url: str | None = None) -> Flask:
    """The bare application on ``url`` (default: ``BARE_DATABASE_URL``)."""
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = url or os.environ["BARE_DATABASE_URL"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    db = SQLAlchemy(app)

    @app.post("/pair")
    def pair():
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        body = request.get_json(force=True)
        session = db.session
        user = session.execute(sa.text("SELECT id, name FROM bare_users WHERE token = :t"),
                               {"t": token}).first()
        if user is None:
            return jsonify(error="invalid_token"), 401
        item = session.execute(sa.text("SELECT id, name FROM bare_items WHERE code = :c"),
                               {"c": body["item_code"]}).first()
        applicant = session.execute(sa.text(
            "SELECT id, name FROM bare_applicants WHERE code = :c"), {"c": "A-1"}).first()
        key = body.get("key") or str(uuid.uuid4())
        earlier = session.execute(sa.text("SELECT id FROM bare_cases WHERE key = :k"),
                                  {"k": key}).first()
        if earlier is not None:
            return jsonify(id=earlier.id, replayed=True), 200
        case_id = session.execute(sa.text(
            "INSERT INTO bare_cases (key, item_id, applicant_id, status) "
            "VALUES (:k, :i, :a, 'approved') RETURNING id"),
            {"k": key, "i": item.id, "a": applicant.id}).scalar_one()
        session.execute(sa.text(
            "INSERT INTO bare_events (case_id, action, payload) VALUES (:c, 'approved', :p)"),
            {"c": case_id, "p": json.dumps({"by": user.id})})
        session.execute(sa.text("UPDATE bare_counters SET last_seq = last_seq + 1 WHERE id = 1"))
        seq = session.execute(sa.text("SELECT last_seq FROM bare_counters WHERE id = 1")
                              ).scalar_one()
        number = f"BARE-{seq:06d}"
        session.execute(sa.text(
            "INSERT INTO bare_licences (case_id, number) VALUES (:c, :n)"),
            {"c": case_id, "n": number})
        session.commit()
        return jsonify(id=case_id, licence=number, item=item.name, applicant=applicant.name), 201

    return app


if os.environ.get("BARE_DATABASE_URL"):
    app = create_app()
