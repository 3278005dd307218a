"""The drift buffers keep the delay small whatever the two clocks do."""

from __future__ import annotations

import numpy as np
import pytest

from softphone.engine.audio import DriftBuffer, peak

RATE = 16000
HOUR = 3600


def simulate(
    producer_ppm: float, consumer_block: int, producer_block: int = 320, seconds: int = HOUR
) -> tuple[DriftBuffer, int, int]:
    """Feed and drain a buffer for ``seconds`` of simulated time; return max/final fill.

    The producer's clock runs ``producer_ppm`` fast (negative: slow) against the consumer.
    """
    buffer = DriftBuffer(RATE)
    produced = consumed = 0.0
    max_fill = 0
    step = 0.01
    counter = 0
    chunk = np.arange(producer_block, dtype=np.int16)
    for _ in range(int(seconds / step)):
        produced += RATE * step * (1 + producer_ppm / 1e6)
        consumed += RATE * step
        while produced >= producer_block:
            produced -= producer_block
            buffer.write(chunk.copy())
        while consumed >= consumer_block:
            consumed -= consumer_block
            out = buffer.read(consumer_block)
            assert len(out) == consumer_block
            counter += 1
        max_fill = max(max_fill, buffer.fill())
    return buffer, max_fill, buffer.fill()


@pytest.mark.parametrize("ppm", [+1000.0, -1000.0, +100.0, -100.0])
def test_fill_stays_bounded_over_an_hour(ppm: float) -> None:
    buffer, max_fill, final_fill = simulate(ppm, consumer_block=160)
    assert max_fill <= buffer.high + 320, max_fill
    assert final_fill <= buffer.high
    assert buffer.high * 1000 // RATE <= 120  # never more than ~120 ms queued


def test_fast_producer_drops_oldest_slow_producer_pads_silence() -> None:
    fast, _, _ = simulate(+2000.0, consumer_block=160, seconds=600)
    slow, _, _ = simulate(-2000.0, consumer_block=160, seconds=600)
    assert fast.dropped > 0 and fast.underruns == 0
    assert slow.underruns > 0 and slow.dropped == 0


def test_large_consumer_blocks_raise_the_target() -> None:
    buffer, max_fill, _ = simulate(+500.0, consumer_block=1024, seconds=300)
    assert buffer.target >= 2 * 1024
    assert max_fill <= buffer.high + 320


def test_samples_come_out_in_order() -> None:
    buffer = DriftBuffer(RATE, target_ms=10, high_ms=100)
    data = np.arange(1000, dtype=np.int16)
    for start in range(0, 1000, 100):
        buffer.write(data[start : start + 100].copy())
    out = np.concatenate([buffer.read(160) for _ in range(6)])
    assert (out[:960] == data[:960]).all()


def test_underrun_pads_with_silence_then_waits_for_the_target() -> None:
    buffer = DriftBuffer(RATE, target_ms=20, high_ms=100)  # target 320 samples
    for _ in range(4):
        buffer.write(np.ones(100, np.int16))
    for _ in range(3):
        assert (buffer.read(100) == 1).all()
    last = buffer.read(150)
    assert (last[:100] == 1).all() and (last[100:] == 0).all()
    assert buffer.underruns == 1
    buffer.write(np.ones(100, np.int16))
    assert (buffer.read(50) == 0).all()  # not primed again until the target is queued


def test_unconsumed_buffer_does_not_grow() -> None:
    buffer = DriftBuffer(RATE)
    for _ in range(10000):
        buffer.write(np.ones(320, np.int16))
    assert buffer.fill() <= 4 * buffer.high + 320


def test_peak() -> None:
    assert peak(np.zeros(10, np.int16)) == 0.0
    assert peak(np.array([0, -32768, 5], np.int16)) == 1.0
    assert peak(np.array([], np.int16)) == 0.0
