"""Secrets in the OS keyring (service ``softphone``) and nowhere else.

With no working keyring the app keeps a password in memory for this run only and
says so; it never falls back to a file. Imports no Qt.
"""

from __future__ import annotations

import logging

import keyring
import keyring.errors

log = logging.getLogger(__name__)

SERVICE = "softphone"
SIP_ACCOUNT = "sip"
CRM_TOKEN = "crm"  # noqa: S105 (the keyring entry name, not a secret)
CACHE_KEY = "cache-key"


class SecretStore:
    """Passwords by name. Thread-safe enough: keyring calls are independent."""

    def __init__(self, service: str = SERVICE) -> None:
        self.service = service
        self._session_only: dict[str, str] = {}

    def available(self) -> bool:
        """True when a real keyring answers (a read that finds nothing counts)."""
        try:
            keyring.get_password(self.service, "__probe__")
        except keyring.errors.KeyringError as exc:
            log.warning("No usable keyring: %s", exc)
            return False
        except Exception as exc:
            log.warning("Keyring failed: %s", exc)
            return False
        return True

    def get(self, name: str) -> str | None:
        if name in self._session_only:
            return self._session_only[name]
        try:
            return keyring.get_password(self.service, name)
        except Exception as exc:
            log.warning("Could not read %s from the keyring: %s", name, exc)
            return None

    def set(self, name: str, secret: str) -> bool:
        """Store in the keyring; False (and kept for this run only) when that fails."""
        try:
            keyring.set_password(self.service, name, secret)
        except Exception as exc:
            log.warning("Could not save %s in the keyring: %s", name, exc)
            self._session_only[name] = secret
            return False
        self._session_only.pop(name, None)
        return True

    def remember_for_session(self, name: str, secret: str) -> None:
        self._session_only[name] = secret

    def delete(self, name: str) -> None:
        self._session_only.pop(name, None)
        try:
            keyring.delete_password(self.service, name)
        except keyring.errors.PasswordDeleteError:
            pass
        except Exception as exc:
            log.warning("Could not delete %s from the keyring: %s", name, exc)
