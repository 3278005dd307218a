"""Alembic environment: always run with the connection the server hands over."""

from alembic import context

from softphone.crm.server import models  # noqa: F401  (defines the tables)
from softphone.crm.server.database import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
