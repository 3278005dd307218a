"""Fixtures of the screen-pop tests: the real CRM server as a process."""

from tests.peers.crm_server import crm_server_factory

__all__ = ["crm_server_factory"]
