"""What the benchmarks compute about the machine: how busy its CPUs were between two samples."""

from __future__ import annotations

import pytest

from bench.common import busy_fraction


def test_busy_fraction_counts_idle_and_iowait_as_not_busy() -> None:
    #          user nice system idle iowait irq softirq steal
    before = [1000, 0, 500, 8000, 100, 0, 10, 5]
    after = [1300, 0, 600, 8550, 150, 0, 10, 5]  # 1,000 ticks: 600 idle or waiting on I/O
    assert busy_fraction(before, after) == pytest.approx(0.4)
    assert busy_fraction(before, before) == 0.0  # no time passed
    quiet = [1000, 0, 500, 9000, 100, 0, 10, 5]
    assert busy_fraction(before, quiet) == 0.0
