import sqlalchemy as sa

from tests.statements import count_statements


def test_counts_each_statement_sent():
    engine = sa.create_engine("sqlite://")
    with count_statements(engine) as statements, engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
        conn.execute(sa.text("SELECT 2"))
    assert statements.count == 2
    assert "SELECT 2" in statements.text()
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 3"))
    assert statements.count == 2
