"""The CRM server's migrations create exactly the tables its models describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from softphone.crm.server import models
from softphone.crm.server.database import Database


def test_migrations_match_the_models(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    try:
        database.upgrade()
        database.upgrade()  # a second run finds nothing to do
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, models.Base.metadata) == []
    finally:
        database.close()
