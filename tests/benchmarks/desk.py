"""Customer desk benchmark: incoming call to the card on screen, and the order form opening.

    QT_QPA_PLATFORM=offscreen python -m tests.benchmarks.desk [--customers 1000000]
        [--products 10000] [--calls 200] [--warmup 5] [--crm none|down|live] [--json]
        [--idle 0.2] [--rebuild] [--profile FILE]

Targets: the card is on screen within 100 ms of the incoming call reaching the app, from
the cache with 1,000,000 customers cached; the order form opens within 150 ms.

What it does (a command, not a pytest test):

1. Runs itself inside a private D-Bus session with an unlocked gnome-keyring whose files
   live beside the cache (``/tmp/softphone-desk-bench/c{customers}-p{products}/``), so the
   cache key in the keyring survives between runs. The encrypted cache is built there
   once per size (customers as the sync writes them, products, price lists) by a child
   process, and reused; it is built again when its key is gone from the keyring.
2. Builds the real app in this process — ``AppContext.create`` on that profile and
   ``SoftphoneGui`` with its ``CustomerDesk`` — shows the window, starts the sync service
   and the desk as the app does; the phone engine is not started.
3. For each call, a stand-in for the engine supervisor's reader thread hands
   ``IncomingCall`` to ``Phone._handle_engine_event``, where the app's subscribers
   (``AppContext`` for the screen-pop, the GUI bridge) receive it. The clock starts just
   before. The card counts as on screen when the card's name label has been painted
   with the caller's customer and Qt's repaint of the window (layout, paint, flush) has
   returned: an event filter sees the label's paint event and a zero timer after it
   takes the time. The app's own ``shown_ms`` (``status --json``) is reported beside it.
4. The call is answered, the window activated, and Ctrl+Shift+O (the card's "Take
   order" key) pressed; the clock stops when the order form's title has been painted
   for that customer, with its address prefilled and the whole catalogue loaded, and the
   repaint has returned. Then the call ends, the wrap-up is finished, the desk idles a
   moment, and the next call comes from another known customer.

``--idle`` is how long the desk idles between one call's wrap-up and the next call; with
0 the next call rings while the app still reads the history and the Outbound list for
the call that ended, on the same cache worker the card's lookup waits for.

``--crm none``: no CRM configured (the cache answers alone). ``--crm down``: a CRM URL
nobody listens on (the card from the cache, the refresh failing behind it). ``--crm
live``: the reference CRM server with the called customers; the card from the cache is
timed, and also the CRM's card replacing it. The sync loop is not started then: its full
walk would replace the million cached customers with the server's few (the sync's speed
is ``tests.benchmarks.sync``'s).

Prints median, p95, p99 and max of each, whether the targets are met (on the p99, and
only if every card and order form showed: a call whose card never shows its customer
within 3 s is counted and listed, not timed), the load average at the start and the end,
the garbage collections that fell in timed moments, and the peak RSS of this process
(the cache is built in a child process, so it is the app's own). ``--profile FILE``
keeps a cProfile of the GUI thread during the timed moments only.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import queue
import random
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median, quantiles
from typing import Any

ROOT = Path("/tmp/softphone-desk-bench")
CARD_TARGET_MS = 100.0
ORDER_TARGET_MS = 150.0
_SESSION_MARK = "SOFTPHONE_DESK_BENCH_DIR"
_READY_FILE = "ready.json"
_DATA_VERSION = 1  # bump when desk_data changes what a built cache holds

Result = dict[str, Any]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def bench_dir(customers: int, products: int) -> Path:
    return ROOT / f"c{customers}-p{products}"


# ------------------------------------------------------------------ the cache


def build_cache(work: Path, customers: int, products: int) -> None:
    """Child process, inside the keyring session: a fresh profile with its encrypted cache
    filled (key created in the keyring as the app does)."""
    from softphone.context import AppContext
    from softphone.paths import Profile
    from tests.benchmarks import desk_data

    profile_dir = work / "profile"
    shutil.rmtree(profile_dir, ignore_errors=True)
    (work / _READY_FILE).unlink(missing_ok=True)
    context = AppContext.create(Profile.from_dir(profile_dir))
    try:
        cache = context.cache
        cache.ready()
        if cache.disposable:
            raise SystemExit("no keyring: the cache would not outlive this process")
        log(f"writing {customers:,} customers and {products:,} products")
        started = time.monotonic()
        desk_data.fill_customers(cache, customers, log)
        cache.store_products(desk_data.products(products), "bench").result()
        cache.store_price_lists(desk_data.price_lists(), "bench").result()
        seconds = time.monotonic() - started
        counts = cache.counts().result()
        log(f"cache built in {seconds:.0f} s: {counts}")
    finally:
        context.close()
    (work / _READY_FILE).write_text(json.dumps({
        "version": _DATA_VERSION, "customers": customers, "products": products,
        "build_seconds": round(seconds, 1)}))


def cache_usable(work: Path, customers: int, products: int) -> bool:
    """Whether a built cache is there and its key still in the keyring (this session)."""
    from softphone.secrets import CACHE_KEY, SecretStore

    try:
        ready = json.loads((work / _READY_FILE).read_text())
    except (OSError, ValueError):
        return False
    if ready != {**ready, "version": _DATA_VERSION, "customers": customers,
                 "products": products}:
        return False
    if SecretStore().get(CACHE_KEY) is None:
        log("the cache key is no longer in the keyring: building the cache again")
        return False
    return True


# ------------------------------------------------------------------ timing helpers


def cuts(values: Sequence[float]) -> dict[str, float]:
    """median, p95, p99 and max in ms (values in seconds)."""
    if len(values) < 2:
        only = values[0] * 1000 if values else float("nan")
        return {"median": only, "p95": only, "p99": only, "max": only}
    hundred = quantiles(values, n=100, method="inclusive")
    return {"median": round(median(values) * 1000, 2), "p95": round(hundred[94] * 1000, 2),
            "p99": round(hundred[98] * 1000, 2), "max": round(max(values) * 1000, 2)}


@dataclass
class Sample:
    card: float  # incoming call -> card painted and the repaint returned (s)
    card_paint: float  # -> the card's name label starts painting
    lookup: float  # -> the screen-pop delivered the cache's answer (cache worker)
    shown_ms: float | None  # the app's own figure (screen-pop arrival -> mark_shown)
    order: float  # Ctrl+Shift+O -> order form painted and the repaint returned
    order_paint: float  # -> the order form's title starts painting
    key_handled: float  # -> the key press returned (the form filled, not yet painted)
    crm_card: float | None = None  # live CRM: -> the CRM's card painted


@dataclass
class Marks:
    """Times (time.monotonic) of the moments one call goes through."""

    incoming: float = 0.0
    delivered: dict[str, float] = field(default_factory=dict)  # source -> delivered


# ------------------------------------------------------------------ the run (Qt)


def measure(work: Path, args: argparse.Namespace) -> Result:
    """Build the app on the cached profile and time ``args.calls`` calls. GUI thread."""
    from PySide6.QtCore import (
        QEvent,
        QEventLoop,
        QMessageLogContext,
        QObject,
        Qt,
        QTimer,
        QtMsgType,
        qInstallMessageHandler,
    )
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QWidget

    from softphone import protocol
    from softphone.agent import AgentStatus
    from softphone.context import AppContext
    from softphone.gui.application import PasswordPrompter, SoftphoneGui, create_application
    from softphone.paths import Profile
    from softphone.screenpop import ScreenPopResult
    from softphone.secrets import CRM_TOKEN
    from tests.benchmarks import desk_data

    def qt_message(_kind: QtMsgType, _where: QMessageLogContext, text: str) -> None:
        # The offscreen platform says this each time a window is raised: noise here.
        if not text.startswith("This plugin does not support"):
            print(text, file=sys.stderr)

    qInstallMessageHandler(qt_message)
    load_start = os.getloadavg()
    app = create_application(["softphone-desk-bench"])
    context = AppContext.create(Profile.from_dir(work / "profile"))
    settings = context.settings
    for name, value in (("calls.default_region", "RO"), ("screenpop.when", "ring"),
                        ("wrapup.seconds", 0), ("agent.busy_action", "decline"),
                        ("crm.url", ""), ("crm.timeout_seconds", 2)):
        settings.set(name, value)
    assert context.sync is not None and context.screenpop is not None
    assert context.agent is not None
    sync, screenpop, agent = context.sync, context.screenpop, context.agent

    rng = random.Random(args.seed)
    picked = rng.sample(range(args.customers), args.calls + args.warmup)
    catalogue = desk_data.products(min(args.products, 2000)) or desk_data.products(1)
    recent = {f"c{n}": desk_data.recent_records(n, catalogue) for n in picked}
    # As if the CRM had sent these customers' last orders and calls on earlier calls.
    sync.store_fetched([desk_data.customer(n) for n in picked], recent).result()

    crm = None
    if args.crm == "down":
        settings.set("crm.url", "http://127.0.0.1:9")  # discard port: nobody answers
    elif args.crm == "live":
        from tests.peers.crm_server import CrmServer

        shutil.rmtree(work / "crm-live", ignore_errors=True)  # a fresh server each run
        crm = CrmServer(work / "crm-live")
        crm.start()
        crm.import_data({"customers": [
            desk_data.customer(n).model_dump(mode="json") for n in picked]})
        context.secrets.set(CRM_TOKEN, crm.token)
        settings.set("crm.url", crm.url)

    gui = SoftphoneGui(app, context, PasswordPrompter())
    desk = gui.desk
    assert desk is not None
    workspace = desk.workspace
    card, form = workspace.card, workspace.order_form

    marks = Marks()
    marks_lock = threading.Lock()

    def delivered(result: ScreenPopResult) -> None:
        """Cache worker or screen-pop thread: when each answer reached the listeners."""
        at = time.monotonic()
        with marks_lock:
            marks.delivered.setdefault(f"{result.call_id}/{result.source}", at)

    screenpop.add_listener(delivered)

    def spin(seconds: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()

    def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            spin(0.01)

    class PaintProbe(QObject):
        """Notes when ``widget`` paints while ``ready()``, then when the repaint returned."""

        def __init__(self, widget: QWidget, ready: Callable[[], bool]) -> None:
            super().__init__()
            self.ready = ready
            self.armed = False
            self.painted = 0.0
            self.done = 0.0
            self.loop: QEventLoop | None = None
            widget.installEventFilter(self)

        def arm(self) -> None:
            self.armed, self.painted, self.done = True, 0.0, 0.0

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if (self.armed and event.type() == QEvent.Type.Paint and isinstance(watched, QWidget)
                    and watched.isVisible() and watched.width() > 0 and self.ready()):
                self.armed = False
                self.painted = time.monotonic()
                QTimer.singleShot(0, self._after_repaint)
            return False

        def _after_repaint(self) -> None:
            self.done = time.monotonic()
            if self.loop is not None:
                self.loop.quit()

        def wait(self, timeout: float) -> bool:
            if not self.done:
                self.loop = QEventLoop()
                timer = QTimer()
                timer.setSingleShot(True)
                timer.timeout.connect(self.loop.quit)
                timer.start(int(timeout * 1000))
                self.loop.exec()
                timer.stop()
                self.loop = None
            return bool(self.done)

    expected: dict[str, Any] = {"id": "", "source": "cache"}

    def card_ready() -> bool:
        shown = workspace.customer
        result = workspace.result
        return (shown is not None and shown.id == expected["id"] and result is not None
                and result.source == expected["source"])

    def form_ready() -> bool:
        draft, customer = form.draft, form.customer
        return (customer is not None and customer.id == expected["id"] and draft is not None
                and form.address.toPlainText() == customer.delivery_address
                and customer.name in form.title.text() and form.catalogue is workspace.catalogue
                and len(form.catalogue) == args.products)

    card_probe = PaintProbe(card.name, card_ready)
    form_probe = PaintProbe(form.title, form_ready)

    engine_events: queue.SimpleQueue[tuple[object, threading.Event | None]] = queue.SimpleQueue()

    def reader() -> None:
        """Stands in for the supervisor's reader thread: engine events into the phone."""
        while True:
            event, handled = engine_events.get()
            if event is None:
                return
            if isinstance(event, protocol.IncomingCall):
                with marks_lock:
                    marks.incoming = time.monotonic()
            context.phone._handle_engine_event(event)  # type: ignore[arg-type]
            if handled is not None:
                handled.set()

    reader_thread = threading.Thread(target=reader, name="engine-reader", daemon=True)
    reader_thread.start()

    def from_engine(event: object) -> None:
        handled = threading.Event()
        engine_events.put((event, handled))
        wait_until(handled.is_set, 10, "the engine event to be handled")

    samples: list[Sample] = []
    first_call: Sample | None = None
    problems: list[str] = []
    missing = {"card": 0, "order": 0}  # timed calls whose card or order form never showed
    rss_after_start = 0

    profiler = cProfile.Profile() if args.profile else None

    timing = threading.Event()
    gc_pauses: list[tuple[int, float]] = []  # (generation, seconds) while timing
    gc_began = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        """Any thread: a garbage collection stops every Python thread; note it."""
        if phase == "start":
            gc_began[0] = time.perf_counter()
        elif timing.is_set():
            gc_pauses.append((info["generation"], time.perf_counter() - gc_began[0]))

    gc.callbacks.append(on_gc)

    def profiling(on: bool) -> None:
        """Note garbage collections, and profile the GUI thread with ``--profile``, only
        while a card or an order form is being timed."""
        if on:
            timing.set()
        else:
            timing.clear()
        if profiler is not None:
            if on:
                profiler.enable()
            else:
                profiler.disable()

    def state_text() -> str:
        shown = workspace.customer
        return (f"desk shows {shown.id if shown else None} "
                f"({workspace.result.source if workspace.result else None}), tab "
                f"{workspace.tabs.currentIndex()}, name {card.name.text()!r}, agent "
                f"{agent.status}, form for {form.customer.id if form.customer else None}")

    def one_call(call_id: str, n: int, remote: protocol.RemoteParty) -> Sample | None:
        """Ring, time the card, answer, time the order form. GUI thread."""
        expected.update(id=f"c{n}", source="cache")
        card_probe.arm()
        with marks_lock:
            marks.delivered.clear()
        profiling(True)
        engine_events.put((protocol.IncomingCall(call_id, remote), None))
        waited = card_probe.wait(3)
        profiling(False)
        if not waited:
            card_probe.armed = False
            missing["card"] += 1
            problems.append(f"{call_id}: the card for c{n} was not painted within 3 s; "
                            + state_text())
            return None
        incoming = marks.incoming
        card_done, card_painted = card_probe.done, card_probe.painted
        crm_card = None
        if args.crm == "live":
            expected["source"] = "crm"
            card_probe.arm()
            if card_ready():  # replaced before we looked: that paint is already done
                card_probe.armed = False
                card_probe.done = card_probe.painted = time.monotonic()
            if card_probe.wait(3):
                crm_card = card_probe.done - incoming
            else:
                problems.append(f"{call_id}: no CRM card within 3 s; " + state_text())
            card_probe.armed = False
            expected["source"] = "cache"
        status = screenpop.status_json() or {}
        with marks_lock:
            lookup_at = marks.delivered.get(f"{call_id}/cache", incoming)

        from_engine(protocol.CallStateChanged(call_id, "confirmed", "incoming", remote))
        wait_until(lambda: agent.status == AgentStatus.ON_CALL, 5, "On call")
        spin(0.05)
        gui.window.activateWindow()
        wait_until(lambda: QApplication.activeWindow() is gui.window, 5, "the window active")
        target = QApplication.focusWidget() or gui.window
        form_probe.arm()
        profiling(True)
        started = time.monotonic()
        QTest.keyClick(target, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier
                       | Qt.KeyboardModifier.ShiftModifier)
        key_handled = time.monotonic() - started
        if form.customer is None or form.customer.id != f"c{n}":
            profiling(False)
            form_probe.armed = False
            missing["order"] += 1
            problems.append(f"{call_id}: Ctrl+Shift+O did not open the order form for c{n}; "
                            + state_text())
            return None
        waited = form_probe.wait(3)
        profiling(False)
        if not waited:
            form_probe.armed = False
            missing["order"] += 1
            problems.append(f"{call_id}: the order form for c{n} was not painted within "
                            "3 s; " + state_text())
            return None
        return Sample(card=card_done - incoming, card_paint=card_painted - incoming,
                      lookup=lookup_at - incoming,
                      shown_ms=status.get("shown_ms") if status.get("call_id") == call_id
                      else None,
                      order=form_probe.done - started, order_paint=form_probe.painted - started,
                      key_handled=key_handled, crm_card=crm_card)

    def end_call(call_id: str, remote: protocol.RemoteParty) -> None:
        """Hang up, finish the wrap-up if there is one, idle. GUI thread."""
        from_engine(protocol.CallStateChanged(call_id, "disconnected", "incoming", remote,
                                              200, "Normal call clearing"))
        spin(0.02)
        if agent.status == AgentStatus.WRAP_UP:
            agent.finish_wrapup()
        wait_until(lambda: agent.status == AgentStatus.AVAILABLE, 5, "Available")
        spin(args.idle)

    try:
        gui.window.show()
        if args.crm != "live":
            sync.start()
        desk.start()
        log("waiting for the catalogue and the window")
        wait_until(lambda: len(workspace.catalogue) == args.products, 120, "the catalogue")
        wait_until(gui.window.isVisible, 10, "the window")
        spin(1.0)
        rss_after_start = _rss_kib()
        log(f"timing {args.calls} calls ({args.warmup} more first, not counted)")
        for index, n in enumerate(picked):
            call_id = f"bench-{index}"
            remote = protocol.RemoteParty(display_name="", number=desk_data.national_number(n),
                                          uri=f"sip:{desk_data.national_number(n)}@pbx")
            try:
                sample = one_call(call_id, n, remote)
            finally:
                end_call(call_id, remote)
            if sample is None:
                continue
            if index == 0:
                first_call = sample
            if index >= args.warmup:
                samples.append(sample)
            if (index + 1) % 50 == 0:
                log(f"  {index + 1} calls; last card {sample.card * 1000:.1f} ms, order form "
                    f"{sample.order * 1000:.1f} ms")
    finally:
        engine_events.put((None, None))
        reader_thread.join(5)
        gui.shutdown()
        if crm is not None:
            context.secrets.delete(CRM_TOKEN)
            crm.stop()
    load_end = os.getloadavg()
    gc.callbacks.remove(on_gc)
    if profiler is not None:
        profiler.dump_stats(args.profile)
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(25)
        log(f"GUI thread profile of the timed moments written to {args.profile}")
    if not samples:
        raise SystemExit("no call was timed: " + "; ".join(problems[:5]))
    card_cuts = cuts([s.card for s in samples])
    order_cuts = cuts([s.order for s in samples])
    app_shown = [s.shown_ms / 1000 for s in samples if s.shown_ms is not None]
    crm_cards = [s.crm_card for s in samples if s.crm_card is not None]
    return {
        "customers": args.customers, "products": args.products, "crm": args.crm,
        "calls": len(samples), "calls_started": len(picked), "warmup": args.warmup,
        "order_key": "Ctrl+Shift+O",
        "card_ms": card_cuts, "card_target_ms": CARD_TARGET_MS,
        "card_missing": missing["card"],
        "card_met": card_cuts["p99"] <= CARD_TARGET_MS and not missing["card"],
        "card_label_paint_ms": cuts([s.card_paint for s in samples]),
        "lookup_delivered_ms": cuts([s.lookup for s in samples]),
        "app_shown_ms": cuts(app_shown) if app_shown else None,
        "crm_card_ms": cuts(crm_cards) if crm_cards else None,
        "order_ms": order_cuts, "order_target_ms": ORDER_TARGET_MS,
        "order_missing": missing["order"],
        "order_met": order_cuts["p99"] <= ORDER_TARGET_MS and not missing["order"],
        "order_key_handled_ms": cuts([s.key_handled for s in samples]),
        "order_paint_ms": cuts([s.order_paint for s in samples]),
        "first_call": None if first_call is None else {
            "card_ms": round(first_call.card * 1000, 2),
            "order_ms": round(first_call.order * 1000, 2)},
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in load_end],
        "cpus": os.cpu_count(),
        "rss_after_start_mib": round(rss_after_start / 1024),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "gc_during_timing": {
            "collections": len(gc_pauses),
            "full_collections": sum(1 for generation, _ in gc_pauses if generation == 2),
            "longest_ms": round(max((took for _, took in gc_pauses), default=0) * 1000, 2)},
        "problems": problems,
    }


def _rss_kib() -> int:
    from tests.benchmarks.procstat import rss_kib

    return rss_kib(os.getpid())


def render(result: Result) -> str:
    def row(label: str, figures: dict[str, float] | None) -> str:
        if figures is None:
            return f"  {label:<44} -"
        return (f"  {label:<44} median {figures['median']:7.1f}  p95 {figures['p95']:7.1f}  "
                f"p99 {figures['p99']:7.1f}  max {figures['max']:7.1f} ms")

    met = {True: "MET", False: "NOT MET"}
    crm = {"none": "no CRM configured", "down": "CRM configured but unreachable",
           "live": "live reference CRM"}[result["crm"]]
    first = result["first_call"]
    lines = [
        f"Customer desk with {result['customers']:,} customers and {result['products']:,} "
        f"products cached, {crm}; {result['calls']} calls timed after {result['warmup']} "
        f"warm-up calls",
        row("Card on screen (incoming -> painted)", result["card_ms"]),
        row("  of which: cache answer delivered", result["lookup_delivered_ms"]),
        row("  card's name label starts painting", result["card_label_paint_ms"]),
        row("  the app's own shown_ms (before paint)", result["app_shown_ms"]),
    ]
    if result["crm_card_ms"] is not None:
        lines.append(row("CRM's card on screen (incoming -> painted)", result["crm_card_ms"]))
    lines += [
        row(f"Order form ({result['order_key']} -> painted)", result["order_ms"]),
        row("  of which: key press handled (form filled)", result["order_key_handled_ms"]),
        row("  form title starts painting", result["order_paint_ms"]),
        f"Targets (p99, and every card and form shown): card "
        f"{result['card_target_ms']:.0f} ms {met[result['card_met']]}; order form "
        f"{result['order_target_ms']:.0f} ms {met[result['order_met']]}",
        f"Never shown: {result['card_missing']} card(s), {result['order_missing']} order "
        f"form(s) of {result['calls_started']} calls (warm-up included)",
        (f"First call after start (not counted): card {first['card_ms']:.1f} ms, "
         f"order form {first['order_ms']:.1f} ms" if first else "First call: -"),
        f"Load average at start {result['load_average_start']}, at end "
        f"{result['load_average_end']} on {result['cpus']} CPUs",
        f"RSS after start {result['rss_after_start_mib']} MiB; peak RSS "
        f"{result['peak_rss_mib']} MiB",
    ]
    collected = result["gc_during_timing"]
    lines.append(f"Garbage collections while timing: {collected['collections']} "
                 f"({collected['full_collections']} full), longest {collected['longest_ms']} ms")
    if result["problems"]:
        lines.append(f"Problems ({len(result['problems'])}): " + "; ".join(result["problems"][:5]))
    return "\n".join(lines)


# ------------------------------------------------------------------ entry


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=5, help="calls first, not counted")
    parser.add_argument("--idle", type=float, default=0.2,
                        help="seconds the desk idles between calls")
    parser.add_argument("--crm", choices=("none", "down", "live"), default="none")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--rebuild", action="store_true", help="build the cache again")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--profile", metavar="FILE", default="",
                        help="cProfile the GUI thread while timing; pstats written to FILE")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    raw = list(sys.argv[1:] if argv is None else argv)
    work = bench_dir(args.customers, args.products)
    if os.environ.get(_SESSION_MARK) != str(work):
        # Outside: run again inside a keyring session kept beside the cache.
        from tests.peers.keyring_session import run_in_keyring_session

        work.mkdir(parents=True, exist_ok=True)
        return run_in_keyring_session(
            [sys.executable, "-m", "tests.benchmarks.desk", *raw], work / "keyring",
            {_SESSION_MARK: str(work), "QT_QPA_PLATFORM":
             os.environ.get("QT_QPA_PLATFORM", "offscreen")}).returncode
    if args.build_only:
        build_cache(work, args.customers, args.products)
        return 0
    if args.rebuild or not cache_usable(work, args.customers, args.products):
        log(f"building the cache in {work}")
        built = subprocess.run([sys.executable, "-m", "tests.benchmarks.desk", *raw,
                                "--build-only"], check=False)
        if built.returncode != 0:
            return built.returncode
    else:
        log(f"reusing the cache in {work}")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    result = measure(work, args)
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
