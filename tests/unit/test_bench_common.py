"""What the benchmarks compute about the machine: how busy its CPUs were between two samples, and how
much of their time the hypervisor gave to other guests (steal)."""

from __future__ import annotations

import pytest

from bench.common import busy_fraction, pace_ms, steal_fraction


def test_busy_fraction_counts_idle_and_iowait_as_not_busy() -> None:
    #          user nice system idle iowait irq softirq steal
    before = [1000, 0, 500, 8000, 100, 0, 10, 5]
    after = [1300, 0, 600, 8550, 150, 0, 10, 5]  # 1,000 ticks: 600 idle or waiting on I/O
    assert busy_fraction(before, after) == pytest.approx(0.4)
    assert busy_fraction(before, before) == 0.0  # no time passed
    quiet = [1000, 0, 500, 9000, 100, 0, 10, 5]
    assert busy_fraction(before, quiet) == 0.0


def test_steal_fraction_is_the_share_of_all_cpu_time_stolen() -> None:
    #          user nice system idle iowait irq softirq steal
    before = [1000, 0, 500, 8000, 100, 0, 10, 5]
    after = [1300, 0, 600, 8450, 150, 0, 10, 105]  # 1,000 ticks, 100 of them stolen
    assert steal_fraction(before, after) == pytest.approx(0.1)
    assert steal_fraction(before, before) == 0.0
    assert steal_fraction(before[:7], after[:7]) == 0.0  # a kernel without the steal field


def test_the_pace_grows_with_the_work_timed() -> None:
    short, long = pace_ms(20_000), pace_ms(2_000_000)
    assert 0 < short < long  # a hundred times the loop: more time on any machine, in any spell
