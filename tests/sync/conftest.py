"""Fixtures of the sync tests: the real CRM server as a process (``tests.peers.crm_server``)."""

from tests.peers.crm_server import crm_server_factory

__all__ = ["crm_server_factory"]
