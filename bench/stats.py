"""Timing and summary statistics: percentiles by nearest rank, in milliseconds."""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values (p in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class Samples:
    """Durations (seconds) of one way of running one scenario."""

    seconds: list[float] = field(default_factory=list)

    def time(self, fn: Callable, *args):
        started = time.perf_counter()
        result = fn(*args)
        self.seconds.append(time.perf_counter() - started)
        return result

    def summary(self, *, wall_seconds: float | None = None) -> dict:
        values = sorted(self.seconds)
        if not values:
            return {"n": 0}
        busy = wall_seconds if wall_seconds is not None else sum(values)
        return {
            "n": len(values),
            "p50_ms": round(percentile(values, 50) * 1000, 2),
            "p95_ms": round(percentile(values, 95) * 1000, 2),
            "p99_ms": round(percentile(values, 99) * 1000, 2),
            "mean_ms": round(sum(values) / len(values) * 1000, 2),
            "max_ms": round(values[-1] * 1000, 2),
            "throughput_rps": round(len(values) / busy, 1) if busy > 0 else None,
        }
