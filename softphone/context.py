"""Everything one running app owns, assembled without Qt.

``AppContext`` ties together the profile, the layered settings, logging, the database
worker, the call history, the keyring, the phone, the CRM sync service and the screen-pop. The GUI
builds one at start-up and closes it at exit; tests build their own. Runs on the main
thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from softphone import logs, protocol, provisioning
from softphone.agent import BUSY_CODE, Agent
from softphone.cache.files import load_key
from softphone.cache.store import CacheStore
from softphone.crm.schema import CustomerType
from softphone.headset import HeadsetService
from softphone.paths import Profile
from softphone.phone import Phone, PhoneEvent
from softphone.screenpop import ScreenPopResult, ScreenPopService
from softphone.secrets import SIP_ACCOUNT, SecretStore
from softphone.settings import Settings, open_settings
from softphone.storage.history import CallHistory, move_clear_history
from softphone.sync.service import SyncService

log = logging.getLogger(__name__)

#: Asked for the SIP password when the keyring has none; returns None if the agent cancels.
PasswordPrompt = Callable[[str], str | None]


@dataclass
class AppContext:
    profile: Profile
    settings: Settings
    secrets: SecretStore
    cache: CacheStore
    history: CallHistory
    phone: Phone
    password_prompt: PasswordPrompt | None = None
    keyring_available: bool = field(default=True)
    sync: SyncService | None = None
    screenpop: ScreenPopService | None = None
    agent: Agent | None = None
    headset: HeadsetService | None = None

    @classmethod
    def create(cls, profile: Profile, password_prompt: PasswordPrompt | None = None) -> AppContext:
        profile.create()
        settings = open_settings(profile)
        logs.configure(profile.log_dir, str(settings["log.level"]))
        for problem in settings.problems:
            log.warning("Settings problem: %s", problem.message)
        # The last copy is already in use; a newer one applies when it arrives.
        provisioning.start_background_refresh(settings)
        secrets = SecretStore()
        cache = CacheStore(profile.cache_file, lambda: load_key(secrets))
        history = CallHistory(cache)
        _move_clear_history(profile, cache, history)
        context: AppContext
        phone = Phone(
            settings,
            history,
            password_provider=lambda: context.sip_password(),  # noqa: PLW0108 - bound later
            engine_log_file=profile.log_dir / "engine.log",
        )
        context = cls(profile, settings, secrets, cache, history, phone, password_prompt)
        context.keyring_available = secrets.available()
        context.sync = SyncService(profile, settings, secrets, cache)
        context.screenpop = ScreenPopService(context.sync, settings)
        context.agent = Agent(settings)
        context.screenpop.add_listener(context._ring_key_accounts_apart)
        context.headset = HeadsetService(phone, settings)
        phone.subscribe(context._on_phone_event)
        return context

    def _on_phone_event(self, event: PhoneEvent) -> None:
        """The phone's event thread: keep the agent's state, turn away calls while the
        agent is not Available (setting ``agent.busy_action``), start the screen-pop."""
        if self.agent is not None:
            self.agent.handle_event(event)
            if (isinstance(event, protocol.IncomingCall)
                    and self.agent.incoming_call_action() == "decline"):
                log.info("Declining call %s: the agent is not available", event.call_id)
                self.phone.decline(event.call_id, BUSY_CODE)
                return
        self._look_up_callers(event)

    def _look_up_callers(self, event: PhoneEvent) -> None:
        """Start the screen-pop as soon as a call reaches the app (the phone's event thread).

        ``ScreenPopService`` returns at once; its results go to its own listeners.
        """
        if self.screenpop is None:
            return
        if isinstance(event, protocol.IncomingCall):
            remote = event.remote
            self.screenpop.on_incoming(event.call_id, remote.number or remote.uri,
                                       remote.display_name)
        elif (isinstance(event, protocol.CallStateChanged) and event.direction == "outgoing"
              and event.state == "calling"):
            self.screenpop.on_outgoing(event.call_id, event.remote.number or event.remote.uri)

    def _ring_key_accounts_apart(self, result: ScreenPopResult) -> None:
        """Cache or screen-pop thread: a ringing call from a key-account customer rings
        with its own tone. The engine ignores a repeat, and a call no longer ringing."""
        if (result.direction == "inbound" and result.matches
                and all(c.type == CustomerType.KEY for c in result.matches)):
            self.phone.set_ring_style(result.call_id, "key_account")

    def status(self) -> dict[str, Any]:
        """``softphone status --json``: the phone's state and the CRM sync's."""
        status = self.phone.status()
        status["sync"] = self.sync.state().as_json() if self.sync else None
        status["screen_pop"] = self.screenpop.status_json() if self.screenpop else None
        status["agent"] = ({"status": str(self.agent.status)} if self.agent else None)
        status["headset"] = self.headset.status() if self.headset else None
        return status

    def sip_password(self) -> str | None:
        """The SIP password from the keyring, or asked for when there is none.

        Runs on whichever thread registers (main thread at start-up); the prompt, when
        there is one, must be callable there.
        """
        password = self.secrets.get(SIP_ACCOUNT)
        if password is not None or self.password_prompt is None:
            return password
        reason = ("" if self.keyring_available else
                  "No keyring is available, so the password cannot be remembered "
                  "and will be asked at each start.")
        password = self.password_prompt(reason)
        if password is not None:
            if self.keyring_available:
                self.secrets.set(SIP_ACCOUNT, password)
            else:
                self.secrets.remember_for_session(SIP_ACCOUNT, password)
        return password

    def close(self) -> None:
        if self.headset is not None:
            self.headset.stop()
        self.phone.stop()
        if self.screenpop is not None:
            self.screenpop.close()
        if self.sync is not None:
            self.sync.stop()
        self.cache.close()


def _move_clear_history(profile: Profile, cache: CacheStore, history: CallHistory) -> None:
    """History from a version that kept it unencrypted goes into the cache (main thread).

    Not into a disposable cache (no keyring): that would lose it at exit.
    """
    if not profile.clear_history_file.exists():
        return
    cache.ready()
    if cache.disposable:
        log.warning("Keeping the old call history file until a keyring is available")
        return
    move_clear_history(profile.clear_history_file, history)
