"""CPU time and resident memory of processes, read from Linux ``/proc``."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` (all its threads) in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_kib(pid: int) -> int:
    """Resident set size of ``pid`` in KiB (``VmRSS``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


@dataclass
class CpuUsage:
    """CPU use of one process over a window, in % of one core."""

    mean: float
    peak_1s: float
    seconds: float
    samples: list[float] = field(default_factory=list)


def measure_cpu(pids: dict[str, int], seconds: float, step: float = 1.0) -> dict[str, CpuUsage]:
    """Sample CPU time of ``pids`` (name -> pid) every ``step`` s for ``seconds`` s.

    Returns mean and highest per-step use for each process, in % of one core.
    """
    start_wall = time.monotonic()
    start = {name: cpu_seconds(pid) for name, pid in pids.items()}
    last_wall, last = start_wall, dict(start)
    per_step: dict[str, list[float]] = {name: [] for name in pids}
    while time.monotonic() - start_wall < seconds:
        time.sleep(min(step, max(0.0, seconds - (time.monotonic() - start_wall))))
        now = time.monotonic()
        for name, pid in pids.items():
            used = cpu_seconds(pid)
            per_step[name].append(100.0 * (used - last[name]) / max(now - last_wall, 1e-6))
            last[name] = used
        last_wall = now
    elapsed = last_wall - start_wall
    return {
        name: CpuUsage(
            mean=100.0 * (last[name] - start[name]) / elapsed,
            peak_1s=max(per_step[name], default=0.0),
            seconds=elapsed,
            samples=per_step[name],
        )
        for name in pids
    }
