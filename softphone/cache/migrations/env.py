"""Alembic environment of the customer cache: always run with the connection handed over."""

from alembic import context

from softphone.cache.models import CacheBase

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=CacheBase.metadata,
                  render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
