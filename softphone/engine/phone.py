"""The phone: SIP stack, account, calls, audio and ringer behind protocol commands.

Every method runs on the main (pjsua) thread: command handlers are called by the loop,
and the listener methods (``registration_*``, ``incoming_call``, ``call_*``) by the
pjsua2 callbacks that ``Endpoint.libHandleEvents`` dispatches on that same thread.
"""

from __future__ import annotations

import gc
import logging
import re
import time
from collections.abc import Callable

import pjsua2 as pj

from softphone.engine import devices
from softphone.engine.audio import AudioBridgePort, SoundCard, StreamHealth
from softphone.engine.audiocheck import AudioTest, CallMicCheck
from softphone.engine.calls import AudioState, PhoneCall, media_state, pjsip_state_name
from softphone.engine.identity import party_from_value, remote_party_from_message
from softphone.engine.report import EventSink
from softphone.engine.ringback import RINGING_CODE, Ringback, wants_ringback
from softphone.engine.ringer import Ringer
from softphone.engine.routing import AudioRouter
from softphone.engine.sip import (
    PhoneAccount,
    SipStack,
    account_config,
    classify_registration,
    registrar_domain,
)
from softphone.engine.siplog import PjLogWriter
from softphone.errors import UserFacingError
from softphone.protocol import (
    AccountConfig,
    AudioLevels,
    AudioTestProgress,
    CallStateChanged,
    Configured,
    DtmfReceived,
    EngineConfig,
    EngineError,
    IncomingCall,
    MediaStateChanged,
    MicrophoneCheck,
    MuteChanged,
    RegistrationChanged,
    RingStyle,
    SetAudioPolicy,
    SetDevices,
    StartAudioTest,
    StreamStats,
    TransferResult,
)
from softphone.targets import normalize_target, uri_domain

log = logging.getLogger(__name__)

_DTMF = re.compile(r"^[0-9*#A-Da-d]{1,64}$")
_RINGING_STATES = ("incoming", "early")
PJ_EINVALIDOP = 70013
HOLD_RETRY_SECONDS = 0.2
HOLD_RETRY_LIMIT_SECONDS = 10.0
AUDIO_TEST_SECONDS = (1.0, 10.0)
#: A registrar answers a REGISTER within a second or two, even across continents; after
#: this long without an answer the agent is told that none has come yet.
REGISTER_NO_ANSWER_SECONDS = 5.0
REGISTER_NO_ANSWER = "no answer yet"


class Phone:
    """Owns everything pjsua2 (main thread)."""

    def __init__(self, emit: EventSink) -> None:
        self.emit = emit
        self.config: EngineConfig | None = None
        self.stack: SipStack | None = None
        self.account: PhoneAccount | None = None
        self.account_settings: AccountConfig | None = None
        self.calls: dict[str, PhoneCall] = {}
        self._graveyard: list[PhoneCall] = []
        self._last_registration: RegistrationChanged | None = None
        self._register_sent_at: float | None = None  # a REGISTER awaiting its answer
        self.port: AudioBridgePort | None = None
        self.sound: SoundCard | None = None
        self.ringer: Ringer | None = None
        self.ringback: Ringback | None = None
        self.router: AudioRouter | None = None
        self.requested_devices = SetDevices()
        self.audio_policy: SetAudioPolicy | None = None
        self._ring_styles: dict[str, RingStyle] = {}
        self.muted = False
        self._incoming_count = 0
        self._log_writer: PjLogWriter | None = None
        self.audio_test: AudioTest | None = None
        self.mic_check: CallMicCheck | None = None
        self._mic_checked: set[str] = set()

    # ----------------------------------------------------------------- lifecycle

    def configure(self, config: EngineConfig) -> None:
        """Create and start pjsua2 with ``config`` (once)."""
        if self.stack is not None:
            raise UserFacingError("The phone engine is already configured.")
        if config.sample_rate not in (16000, 48000):
            raise UserFacingError("The sample rate must be 16000 or 48000.")
        self.config = config
        self._log_writer = PjLogWriter(config.sip_trace)
        stack = SipStack(config, self._log_writer)
        try:
            stack.start()
        except BaseException:
            stack.destroy()  # a later Configure (say, another port) starts afresh
            raise
        self.stack = stack
        self.sound = SoundCard(config.sample_rate)
        self.port = AudioBridgePort(
            config.sample_rate, self.sound.speaker_buffer, self.sound.microphone_buffer
        )
        self.port.create()
        self.ringer = Ringer(config.ringtone_path)
        self.ringback = Ringback(config.sample_rate)
        self.router = AudioRouter(self.emit, self.sound, self.ringer, config.sample_rate,
                                  default_ringtone=config.ringtone_path)
        self.router.requested = self.requested_devices
        self.emit(Configured(stack.sip_port))
        if self.audio_policy is not None:
            self.router.set_policy(self.audio_policy)
        else:
            self.router.apply()

    def shutdown(self, poll: Callable[[float], None]) -> None:
        """The clean shutdown pjsua2 needs (main thread); ``poll(seconds)`` runs events."""
        self.stop_audio_test("The phone engine stopped.")
        if self.ringer is not None:
            self.ringer.stop()
        if self.sound is not None:
            self.sound.close()
        if self.stack is None:
            return
        self.stack.ep.hangupAllCalls()
        deadline = time.monotonic() + 5.0
        while self.calls and time.monotonic() < deadline:
            poll(0.05)
        self.calls.clear()
        self._graveyard.clear()
        if self.ringback is not None:
            self.ringback.close()
            self.ringback = None
        poll(0.2)  # let the bridge finish removing call ports before ours is freed
        self.port = None
        if self.account is not None:
            self.account.shutdown()
            poll(0.3)
        self.account = None
        gc.collect()
        self.stack.destroy()
        self.stack = None

    def tick(self) -> None:
        """Per loop turn: drop finished calls, auto-answer, report audio errors."""
        self._graveyard.clear()
        now = time.monotonic()
        self._retry_pending_holds(now)
        for call in list(self.calls.values()):
            if call.answer_at is not None and now >= call.answer_at:
                call.answer_at = None
                log.info("auto-answering %s", call.call_id)
                try:
                    self.answer(call.call_id)
                except (UserFacingError, pj.Error) as exc:
                    log.warning("auto-answer of %s failed: %s", call.call_id, exc)
        for source in (self.port, self.sound):
            if source is not None and source.error is not None:
                error, source.error = source.error, None
                self.emit(EngineError("bug", f"Audio bridge failed: {error}", repr(error)))
        if self.router is not None:
            self.router.check_health(now)
        if self.audio_test is not None and not self.audio_test.tick():
            self.audio_test = None
        self._check_microphone()
        self._check_registration_answer(now)

    def _check_registration_answer(self, now: float) -> None:
        """Say so while a REGISTER goes unanswered (main thread).

        Over UDP pjsip resends a REGISTER until its transaction times out after 32 s
        (64 x T1) and only then reports the server unreachable; meanwhile the agent
        would see "Registering…" with no hint that nothing is coming back.
        """
        sent_at = self._register_sent_at
        if sent_at is None or now - sent_at < REGISTER_NO_ANSWER_SECONDS:
            return
        self._register_sent_at = None
        last = self._last_registration
        if last is not None and last.state == "registering":
            log.info("registration: no answer after %.0f s; still trying",
                     REGISTER_NO_ANSWER_SECONDS)
            self._registration(RegistrationChanged("registering", REGISTER_NO_ANSWER))

    # ----------------------------------------------------------------- account

    def _require_stack(self) -> SipStack:
        if self.stack is None:
            raise UserFacingError("The phone engine is not configured yet.")
        return self.stack

    def register(self, account: AccountConfig) -> None:
        stack = self._require_stack()
        assert self.config is not None
        if not account.uri.strip():
            raise UserFacingError("The SIP address (URI) is empty.")
        if account.transport == "tls":
            stack.ensure_tls(account.tls_verify, account.ca_file)
        if account.stun:
            stack.set_stun_servers([s.strip() for s in account.stun.split(",") if s.strip()])
        cfg = account_config(account, self.config)
        self.account_settings = account
        self._last_registration = None
        self._registration(RegistrationChanged("registering"))
        self._register_sent_at = time.monotonic()
        if self.account is None:
            self.account = PhoneAccount(self)
            self.account.create(cfg, True)
        else:
            self.account.modify(cfg)
        log.info("account %s registering at %s", account.uri, cfg.regConfig.registrarUri)

    def registrar_hostport(self) -> str:
        """Where the netwatch thread checks the route to (main thread)."""
        acc = self.account_settings
        return (acc.registrar or uri_domain(acc.uri)) if acc else ""

    def unregister(self) -> None:
        if self.account is None:
            self._registration(RegistrationChanged("unregistered"))
            return
        try:
            self.account.setRegistration(False)
        except pj.Error as exc:
            log.info("unregister: %s", exc.info())
            self._registration(RegistrationChanged("unregistered"))

    def registration_started(self, renew: bool) -> None:
        """pjsua callback: a REGISTER (renew) or un-REGISTER is being sent."""
        last = self._last_registration
        if renew and (last is None or last.state != "registered"):
            self._registration(RegistrationChanged("registering"))
            self._register_sent_at = time.monotonic()

    def registration_state(self, code: int, reason: str, expiration: int) -> None:
        """pjsua callback: a registration transaction finished."""
        event = classify_registration(code, reason, expiration)
        self._register_sent_at = None
        log.info("registration: %s %s (%d)", event.state, reason, code)
        # pjsua retries only after timeouts, 5xx and 6xx: a wrong password (401/403
        # after authenticating) stays "failed" without a REGISTER storm (tested).
        self._registration(event)

    def _registration(self, event: RegistrationChanged) -> None:
        if event != self._last_registration:
            self._last_registration = event
            self.emit(event)

    # ----------------------------------------------------------------- calls

    def _call(self, call_id: str) -> PhoneCall:
        call = self.calls.get(call_id)
        if call is None:
            raise UserFacingError("That call has already ended.")
        return call

    def dial(self, call_id: str, target: str) -> None:
        self._require_stack()
        if self.account is None or self.account_settings is None:
            raise UserFacingError("Cannot call: no SIP account is set up.")
        if not call_id or call_id in self.calls:
            raise UserFacingError(f"Call id {call_id!r} is empty or already in use.")
        uri = normalize_target(target, registrar_domain(self.account_settings))
        self.stop_audio_test("The test stopped because you started a call.")
        call = PhoneCall(self.account, self, call_id, "outgoing", remote=party_from_value(uri))
        self.calls[call_id] = call
        try:
            call.makeCall(uri, pj.CallOpParam(True))
        except pj.Error:
            del self.calls[call_id]
            self._graveyard.append(call)
            raise
        self._hold_others(call)

    def incoming_call(self, pj_call_id: int, message: str) -> None:
        """pjsua callback: a new INVITE. Keeps a strong reference to the call."""
        assert self.account is not None and self.config is not None
        self.stop_audio_test("The test stopped because a call came in.")
        self._incoming_count += 1
        remote = remote_party_from_message(message)
        call_id = f"in-{self._incoming_count}"
        call = PhoneCall(
            self.account, self, call_id, "incoming", remote=remote, pj_call_id=pj_call_id
        )
        busy = any(c.state != "disconnected" for c in self.calls.values())
        self.calls[call_id] = call
        self.emit(IncomingCall(call_id, remote))
        if call.state is None:
            call.state = "incoming"
            self.emit(CallStateChanged(call_id, "incoming", "incoming", remote))
        ringing = pj.CallOpParam()
        ringing.statusCode = 180
        call.answer(ringing)
        if self.config.auto_answer_seconds >= 0 and not busy:
            call.answer_at = time.monotonic() + self.config.auto_answer_seconds
        self._update_ringer()

    def answer(self, call_id: str) -> None:
        call = self._call(call_id)
        if call.direction != "incoming" or call.state not in _RINGING_STATES:
            raise UserFacingError("This call cannot be answered now.")
        call.answer_at = None
        self._hold_others(call)
        prm = pj.CallOpParam()
        prm.statusCode = 200
        call.answer(prm)

    def _hold_others(self, keep: PhoneCall) -> None:
        """Put every other talking call on hold (answering a second call)."""
        for other in self.calls.values():
            if other is not keep and other.state == "confirmed" and not other.audio.local_hold:
                try:
                    other.setHold(pj.CallOpParam(True))
                except pj.Error as exc:
                    log.warning("could not hold %s: %s", other.call_id, exc.info())

    def decline(self, call_id: str, code: int) -> None:
        call = self._call(call_id)
        if not 400 <= code <= 699:
            raise UserFacingError(f"{code} is not a status code to decline a call with.")
        prm = pj.CallOpParam()
        prm.statusCode = code
        call.hangup(prm)

    def hangup(self, call_id: str) -> None:
        self._call(call_id).hangup(pj.CallOpParam())

    def hold(self, call_id: str) -> None:
        self._hold_or_resume(self._call(call_id), hold=True)

    def resume(self, call_id: str) -> None:
        self._hold_or_resume(self._call(call_id), hold=False)

    def _hold_or_resume(self, call: PhoneCall, hold: bool, retry: bool = False) -> None:
        """Send the hold or unhold re-INVITE; while another re-INVITE (for example
        pjsua's codec lock right after answer) is in progress, retry from ``tick``."""
        try:
            if hold:
                call.setHold(pj.CallOpParam(True))
            else:
                prm = pj.CallOpParam(True)
                prm.opt.flag = pj.PJSUA_CALL_UNHOLD
                call.reinvite(prm)
        except pj.Error as exc:
            if exc.status != PJ_EINVALIDOP:
                raise
            if not retry:
                call.pending_since = time.monotonic()
                call.pending_retry_at = call.pending_since + HOLD_RETRY_SECONDS
            call.pending_hold = hold
            log.info("%s busy with another re-INVITE: retrying hold=%s", call.call_id, hold)
            return
        call.pending_hold = None

    def _retry_pending_holds(self, now: float) -> None:
        for call in list(self.calls.values()):
            if call.pending_hold is None or now < call.pending_retry_at:
                continue
            hold = call.pending_hold
            call.pending_retry_at = now + HOLD_RETRY_SECONDS
            if now - call.pending_since > HOLD_RETRY_LIMIT_SECONDS:
                call.pending_hold = None
                what = "put on hold" if hold else "resumed"
                self.emit(EngineError("environment", f"The call could not be {what}."))
                continue
            self._hold_or_resume(call, hold, retry=True)

    def mute(self, muted: bool) -> None:
        self.muted = muted
        if self.port is not None:
            self.port.muted = muted
        self.emit(MuteChanged(muted))

    def send_dtmf(self, call_id: str, digits: str) -> None:
        call = self._call(call_id)
        if not _DTMF.match(digits):
            raise UserFacingError("DTMF digits must be 0-9, *, # or A-D.")
        assert self.config is not None
        prm = pj.CallSendDtmfParam()
        prm.digits = digits.upper()
        prm.method = (
            pj.PJSUA_DTMF_METHOD_SIP_INFO
            if self.config.dtmf_method == "info"
            else pj.PJSUA_DTMF_METHOD_RFC2833
        )
        call.sendDtmf(prm)

    def transfer(self, call_id: str, target: str) -> None:
        call = self._call(call_id)
        assert self.account_settings is not None
        uri = normalize_target(target, registrar_domain(self.account_settings))
        call.transferring = True
        call.xfer(uri, pj.CallOpParam(True))

    # ----------------------------------------------------------------- call callbacks

    def call_state(self, call: PhoneCall) -> None:
        """pjsua callback: the INVITE session changed state."""
        ci = call.getInfo()
        name = pjsip_state_name(ci.state)
        if name == "early" and int(ci.lastStatusCode) == RINGING_CODE:
            call.alerting = True  # pjsua reports each provisional response, 180 after 183 too
        if name is None or name == call.state:
            self._update_ringback()
            return
        call.state = name
        if call.direction == "outgoing" and name in ("early", "confirmed"):
            updated = party_from_value(str(ci.remoteUri))
            if updated.display_name and not call.remote.display_name:
                call.remote = updated
        code, reason = int(ci.lastStatusCode), str(ci.lastReason)
        self.emit(CallStateChanged(call.call_id, name, call.direction, call.remote, code, reason))
        if name == "disconnected":
            self._finish(call)
        self._update_ringer()
        self._update_ringback()

    def _finish(self, call: PhoneCall) -> None:
        """Forget a disconnected call; the wrapper is dropped on the next loop turn."""
        call.connected_slot = -1  # pjsua removed the stream's bridge port itself
        if call.audio.active or call.audio.local_hold:
            self.emit(MediaStateChanged(call.call_id, active=False))
        self.calls.pop(call.call_id, None)
        self._ring_styles.pop(call.call_id, None)
        self._mic_checked.discard(call.call_id)
        if self.mic_check is not None and self.mic_check.call_id == call.call_id:
            self._stop_mic_check()
        self._graveyard.append(call)
        self._update_sound_card()

    def call_media(self, call: PhoneCall) -> None:
        """pjsua callback: media of the call changed (active, hold, ...)."""
        ci = call.getInfo()
        state = media_state(ci)
        self._connect_audio(call, state)
        if state != call.audio:
            changed = (state.active, state.local_hold, state.remote_hold) != (
                call.audio.active,
                call.audio.local_hold,
                call.audio.remote_hold,
            )
            call.audio = state
            if changed:
                self.emit(
                    MediaStateChanged(
                        call.call_id, state.active, state.local_hold, state.remote_hold
                    )
                )
        self._update_ringback()  # early media replaces our ringback at once
        self._update_sound_card()

    def _connect_audio(self, call: PhoneCall, state: AudioState) -> None:
        port = self.port
        if port is None:
            return
        want = state.active and not state.local_hold and state.slot >= 0
        if call.connected_slot >= 0 and (not want or call.connected_slot != state.slot):
            if call.connected_slot == state.slot:  # still the same live bridge port
                media = call.getAudioMedia(state.index)
                media.stopTransmit(port)
                port.stopTransmit(media)
            call.connected_slot = -1
        if want and call.connected_slot != state.slot:
            media = call.getAudioMedia(state.index)
            media.startTransmit(port)
            port.startTransmit(media)
            call.connected_slot = state.slot
            if call.call_id not in self._mic_checked:
                self._start_mic_check(call.call_id)

    def call_dtmf(self, call: PhoneCall, digit: str) -> None:
        """pjsua callback: the remote sent a DTMF digit."""
        if digit and len(digit) == 1 and _DTMF.match(digit):
            self.emit(DtmfReceived(call.call_id, digit.upper()))

    def call_transfer_status(self, call: PhoneCall, code: int, reason: str, final: bool) -> bool:
        """pjsua callback: progress of our REFER; returns whether to keep listening."""
        log.info("transfer of %s: %d %s final=%s", call.call_id, code, reason, final)
        if not final and code < 300:
            return True
        success = 200 <= code < 300
        call.transferring = False
        self.emit(TransferResult(call.call_id, success, code, reason))
        if success and call.call_id in self.calls:
            try:
                call.hangup(pj.CallOpParam())
            except pj.Error as exc:
                log.info("hanging up the transferred call: %s", exc.info())
        return False

    # ----------------------------------------------------------------- audio and ringer

    def _update_sound_card(self) -> None:
        router = self.router
        if router is None:
            return
        needed = self._ringback_wanted() or any(
            c.connected_slot >= 0 for c in self.calls.values()
        )
        if needed != router.sound_needed or (needed and not router.sound.running):
            router.set_sound_needed(needed)

    def _update_ringer(self) -> None:
        router = self.router
        if router is None:
            return
        ringing = [c for c in self.calls.values()
                   if c.direction == "incoming" and c.state in _RINGING_STATES]
        key_account = any(self._ring_styles.get(c.call_id) == "key_account" for c in ringing)
        style: RingStyle = "key_account" if key_account else "normal"
        if bool(ringing) != router.ringing or style != router.ringer.style:
            router.set_ringing(bool(ringing), style)

    def set_ring_style(self, call_id: str, style: RingStyle) -> None:
        """Ring ``call_id`` with the normal or key-account tone (the screen-pop decides).
        The screen-pop may answer after the call ended: that is not an error."""
        if call_id not in self.calls:
            return
        self._ring_styles[call_id] = style
        self._update_ringer()

    def _ringback_wanted(self) -> bool:
        return self.ringback is not None and any(wants_ringback(c) for c in self.calls.values())

    def _update_ringback(self) -> None:
        """Play the ringback tone while an outgoing call rings without early media."""
        ringback, port = self.ringback, self.port
        if ringback is None or port is None:
            return
        self._update_sound_card()  # the speaker opens first, so the cadence starts whole
        wanted = self._ringback_wanted()
        if wanted and not ringback.playing:
            try:
                ringback.start(port)
            except pj.Error as exc:
                log.warning("ringback tone: %s", exc.info())
                self.emit(EngineError("environment", "The ringback tone cannot be played."))
        elif not wanted and ringback.playing:
            ringback.stop()

    # ----------------------------------------------------------------- devices

    def set_devices(self, request: SetDevices) -> None:
        self.requested_devices = request
        if self.router is not None:
            self.router.set_devices(request)

    def set_audio_policy(self, policy: SetAudioPolicy) -> None:
        """Fallback devices, return to headset, where and how loud it rings."""
        self.audio_policy = policy
        if self.router is not None:
            self.router.set_policy(policy)

    def refresh_devices(self) -> None:
        """Re-read the device list; PortAudio closes every stream, so reopen them."""
        self.stop_audio_test("The test stopped because the sound devices were looked for "
                             "again. Try again.")
        if self.router is not None:
            self.router.refresh()

    def devices_changed(self, alsa_changed: bool) -> None:
        """The device watcher saw sound devices come or go (main loop)."""
        if alsa_changed:  # PortAudio is re-initialised: its streams are closed
            self.stop_audio_test("The test stopped because a sound device was plugged in "
                                 "or out. Try again.")
        if self.router is not None:
            self.router.system_changed(alsa_changed)

    def network_changed(self) -> None:
        if self.stack is not None:
            log.info("network changed: re-creating transports")
            self.stack.handle_ip_change()

    # ----------------------------------------------------------------- microphone checks

    def start_audio_test(self, request: StartAudioTest) -> None:
        """"Test my audio": record from a microphone, play back on a headset (main thread).

        Refused, with the reason as a "failed" progress event, during a call, while
        another test runs, or when a device is missing.
        """
        microphone, speaker = request.microphone.strip(), request.speaker.strip()

        def refuse(message: str) -> None:
            self.emit(AudioTestProgress("failed", seconds=request.seconds, message=message,
                                        microphone=microphone, speaker=speaker))

        low, high = AUDIO_TEST_SECONDS
        if self.config is None or self.router is None:
            refuse("The phone is still starting. Try again in a moment.")
        elif self.calls:
            refuse("Your audio cannot be tested during a call. Try again when the call "
                   "has ended.")
        elif self.audio_test is not None and self.audio_test.running:
            refuse("A test of your audio is already running.")
        elif not low <= request.seconds <= high:
            refuse(f"A test lasts {low:g} to {high:g} seconds.")
        else:
            found = devices.query()
            mic = self._test_device(found, microphone, "input")
            headset = self._test_device(found, speaker, "output")
            if isinstance(mic, str) or isinstance(headset, str):
                refuse(" ".join(p for p in (mic, headset) if isinstance(p, str)))
                return
            test = AudioTest(self.emit, devices.portaudio(), rate=self.config.sample_rate,
                             seconds=request.seconds, microphone=mic, speaker=headset)
            self.audio_test = test
            test.start()

    @staticmethod
    def _test_device(found: devices.DeviceList, wanted: str,
                     kind: devices.Kind) -> devices.DeviceInfo | str:
        """The device to test (the system default for ""), or why there is none."""
        what = "Microphone" if kind == "input" else "Headset"
        if wanted:
            device = devices.find(found, wanted, kind)
            return device if device is not None else f'{what} "{wanted}" is not connected.'
        order = devices.candidates("", [], found, kind)
        if order:
            return order[0]
        return "No microphone is connected." if kind == "input" else (
            "No headset or speaker is connected.")

    def stop_audio_test(self, message: str = "The test was stopped.") -> None:
        """Stop a running test, reporting ``message`` (main thread)."""
        test, self.audio_test = self.audio_test, None
        if test is not None:
            test.cancel(message)

    def _start_mic_check(self, call_id: str) -> None:
        """Watch the microphone in the first seconds of ``call_id``'s audio."""
        if self.port is None or self.config is None:
            return
        self._mic_checked.add(call_id)
        self.mic_check = CallMicCheck(call_id, self.config.sample_rate)
        self.port.start_tap(2 * CallMicCheck.WINDOW_SECONDS)

    def _stop_mic_check(self) -> None:
        self.mic_check = None
        if self.port is not None:
            self.port.stop_tap()

    def _check_microphone(self) -> None:
        """Per loop turn: feed the in-call check the frames taken since the last turn."""
        check, port, sound = self.mic_check, self.port, self.sound
        if check is None or port is None or sound is None:
            return
        frames = port.take_tap()
        flowing = (sound.input_device is not None
                   and sound.input_health.calls >= StreamHealth.FLOWING_CALLS)
        for verdict, message in check.update(frames, flowing):
            self.emit(MicrophoneCheck(check.call_id, verdict, message))
        if check.finished:
            self._stop_mic_check()

    # ----------------------------------------------------------------- reports

    def audio_levels(self) -> AudioLevels | None:
        """Peak levels since the last report, while the sound card is open."""
        if self.sound is None or not self.sound.running or self.port is None:
            return None
        mic, speaker = self.port.take_levels()
        return AudioLevels(round(mic, 3), round(speaker, 3))

    def stream_stats(self) -> list[StreamStats]:
        """RTP statistics of every call with active audio."""
        if self.sound is not None and self.sound.running:
            self.sound.log_buffers()
        reports = []
        for call in list(self.calls.values()):
            if call.audio.active and call.audio.index >= 0:
                try:
                    reports.append(_stream_stats(call, call.audio.index))
                except pj.Error as exc:
                    log.debug("no stream stats for %s: %s", call.call_id, exc.info())
        return reports


def _stream_stats(call: PhoneCall, index: int) -> StreamStats:
    info = call.getStreamInfo(index)
    stat = call.getStreamStat(index)
    rtcp = stat.rtcp
    rx, tx = rtcp.rxStat, rtcp.txStat
    return StreamStats(
        call_id=call.call_id,
        codec=f"{info.codecName}/{info.codecClockRate}",
        rx_packets=int(rx.pkt),
        rx_lost=int(rx.loss),
        jitter_ms=round(int(rx.jitterUsec.last) / 1000.0, 2),
        rtt_ms=round(int(rtcp.rttUsec.last) / 1000.0, 2),
        tx_packets=int(tx.pkt),
    )
