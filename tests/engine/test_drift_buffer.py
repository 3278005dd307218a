"""The drift buffers keep the delay small whatever the two clocks do."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import pytest

from softphone.engine.audio import DriftBuffer, _resample, peak

RATE = 16000
MS = RATE // 1000


@dataclass
class Run:
    buffer: DriftBuffer
    max_fill: int
    mean_fill: float
    final_fill: int


def simulate(
    producer_ppm: float, consumer_block: int, producer_block: int = 320,
    seconds: float = 60.0, jitter_ms: float = 0.0, seed: int = 1,
) -> Run:
    """Feed and drain a buffer for ``seconds`` of simulated time in 1 ms steps.

    The producer's clock runs ``producer_ppm`` fast (negative: slow) against the
    consumer; with ``jitter_ms`` each producer block arrives up to that much late (the
    blocks behind it queue up, as a late audio thread catches up).
    """
    rng = random.Random(seed)
    buffer = DriftBuffer(RATE)
    chunk = bytes(2 * producer_block)
    produced = consumed = 0.0
    late_until = 0.0
    fills: list[int] = []
    steps = int(seconds * 1000)
    for step in range(steps):
        now = step / 1000
        produced += MS * (1 + producer_ppm / 1e6)
        consumed += MS
        if now >= late_until:
            while produced >= producer_block:
                produced -= producer_block
                buffer.write(chunk)
            if jitter_ms and rng.random() < 0.01:
                late_until = now + rng.uniform(0, jitter_ms) / 1000
        while consumed >= consumer_block:
            consumed -= consumer_block
            assert len(buffer.read(consumer_block)) == 2 * consumer_block
        if step % 7 == 0:
            fills.append(buffer.fill())
    return Run(buffer, max(fills), sum(fills) / len(fills), buffer.fill())


@pytest.mark.parametrize("ppm", [+1000.0, -1000.0, +100.0, -100.0])
@pytest.mark.parametrize(("consumer", "producer"), [(320, 160), (160, 320)])
def test_drift_is_absorbed_without_underruns(ppm: float, consumer: int, producer: int) -> None:
    run = simulate(ppm, consumer, producer, seconds=20 * 60)  # 120 or 1200 ms of drift
    assert run.buffer.underruns == 0
    assert run.max_fill <= 45 * MS, run.max_fill
    assert run.final_fill <= 45 * MS
    if ppm > 0:
        assert run.buffer.dropped >= 0.8 * ppm * 1e-6 * RATE * 20 * 60
    else:
        assert run.buffer.added >= 0.8 * -ppm * 1e-6 * RATE * 20 * 60


def test_mean_fill_is_about_20_ms_with_10_ms_blocks_and_20_ms_frames() -> None:
    for consumer, producer in ((320, 160), (160, 320)):
        run = simulate(+50.0, consumer, producer, seconds=120)
        assert 14 * MS <= run.mean_fill <= 26 * MS, run.mean_fill / MS
        assert run.buffer.target == 20 * MS


def test_jitter_raises_the_margin_a_little_and_the_delay_stays_bounded() -> None:
    run = simulate(-100.0, 320, 160, seconds=600, jitter_ms=25.0)
    assert run.buffer.underruns <= 5
    assert run.buffer.margin <= 40 * MS
    assert run.final_fill <= 80 * MS
    assert run.mean_fill <= 50 * MS


def test_samples_come_out_in_order() -> None:
    buffer = DriftBuffer(RATE, margin_ms=5)
    data = np.arange(1000, dtype=np.int16)
    for start in range(0, 1000, 100):
        buffer.write(data[start : start + 100].tobytes())
    out = np.frombuffer(b"".join(buffer.read(160) for _ in range(5)), np.int16)
    assert (out == data[:800]).all()


def test_underrun_pads_with_silence_raises_the_margin_then_waits() -> None:
    buffer = DriftBuffer(RATE, margin_ms=10)  # a 100-sample read needs 260 queued
    buffer.START_MS = 0  # no start-up grace
    ones = np.ones(100, np.int16).tobytes()
    for _ in range(3):
        buffer.write(ones)
    assert buffer.read(100) == ones
    assert buffer.read(100) == ones
    last = np.frombuffer(buffer.read(150), np.int16)
    assert (last[:100] == 1).all() and (last[100:] == 0).all()
    assert buffer.underruns == 1
    assert buffer.margin == 15 * MS
    for _ in range(2):
        buffer.write(ones)
    assert buffer.read(50) == bytes(100)  # 200 < 50 + 240: not primed yet
    buffer.write(ones)
    assert buffer.read(50) == ones[:100]


def test_underruns_while_the_device_starts_keep_the_margin() -> None:
    buffer = DriftBuffer(RATE)
    buffer.write(bytes(960))
    for _ in range(4):  # the output stream pre-fills its buffer in a burst
        buffer.read(160)
    assert buffer.margin == 10 * MS and buffer.underruns == 0


def test_a_stalled_consumer_catches_up_at_once() -> None:
    buffer = DriftBuffer(RATE)
    frame = bytes(640)
    for _ in range(2):
        buffer.write(frame)
    buffer.read(320)
    for _ in range(20):  # 400 ms arrive while the consumer stalls
        buffer.write(frame)
    buffer.read(320)
    assert buffer.fill() <= 10 * MS + 320
    assert buffer.dropped > 0


def test_unconsumed_buffer_does_not_grow() -> None:
    buffer = DriftBuffer(RATE)
    for _ in range(10000):
        buffer.write(bytes(640))
    assert buffer.fill() <= DriftBuffer.LIMIT_MS * MS + 320


def test_clear_starts_afresh() -> None:
    buffer = DriftBuffer(RATE)
    buffer.write(bytes(640))
    buffer.read(320)
    buffer.read(320)  # underrun: margin raised
    buffer.clear()
    assert buffer.fill() == 0 and buffer.margin == 10 * MS


def test_resample_keeps_the_ends_and_the_shape() -> None:
    ramp = np.arange(0, 360, dtype=np.int16) * 10
    squeezed = np.frombuffer(_resample(ramp.tobytes(), 320), np.int16)
    assert len(squeezed) == 320
    assert squeezed[0] == 0 and squeezed[-1] == 3590
    assert (np.diff(squeezed) > 0).all()


def test_peak() -> None:
    assert peak(np.zeros(10, np.int16)) == 0.0
    assert peak(np.array([0, -32768, 5], np.int16)) == 1.0
    assert peak(np.array([0, 16384, -5], np.int16)) == pytest.approx(0.5, abs=0.001)
    assert peak(np.array([], np.int16)) == 0.0
