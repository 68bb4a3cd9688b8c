"""The start-up benchmark's arithmetic (its timings are not tested: no test depends on timing)."""

import importlib.util
from pathlib import Path

SPEC = importlib.util.spec_from_file_location("startup", Path(__file__).parent.parent / "benchmarks" / "startup.py")
startup = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(startup)


def test_the_interval_brackets_the_ratio_of_medians_and_narrows_with_more_rounds():
    base = [0.100 + 0.013 * ((7 * i) % 11 - 5) / 5 for i in range(60)]  # ±13 %, like a busy machine
    ours = [1.1 * t for t in reversed(base)]
    low, high = startup.interval(ours, base)
    assert low < 1.1 < high and high - low < 0.2
    few_low, few_high = startup.interval(ours[:10], base[:10])
    assert few_high - few_low > high - low
    assert startup.interval(ours, base) == (low, high)  # seeded: the same times give the same interval
    assert startup.interval(base, base)[0] <= 1.0 <= startup.interval(base, base)[1]
