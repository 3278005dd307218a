"""Fixtures of the CRM server tests: real server processes (see ``tests.peers.crm_server``)."""

from tests.peers.crm_server import crm_server, crm_server_factory
from tests.peers.postgres import postgres

__all__ = ["crm_server", "crm_server_factory", "postgres"]
