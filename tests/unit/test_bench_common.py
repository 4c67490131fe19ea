"""What the benchmarks compute about the machine (how busy its CPUs were between two samples, how much
of their time the hypervisor gave to other guests) and about a latency tail (when it was sent)."""

from __future__ import annotations

import pytest

from bench.common import busy_fraction, pace_ms, steal_fraction, tail_spells


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


def test_tail_spells_group_the_slowest_requests_by_when_they_were_sent() -> None:
    # 1,000 requests a millisecond apart, 2 ms each, but for a stall at 0.500-0.519 s (20 requests of
    # 40-59 ms) and one slow request alone at 0.900 s.
    starts = [i / 1000 for i in range(1000)]
    latencies = [0.002] * 1000
    for i in range(500, 520):
        latencies[i] = 0.040 + (i - 500) / 1000
    latencies[900] = 0.030
    spells = tail_spells(starts, latencies, share=0.021)  # the slowest 21: the stall and the loner
    assert spells == [
        {"from_s": 0.5, "to_s": 0.519, "requests": 20, "max_ms": 59.0},
        {"from_s": 0.9, "to_s": 0.9, "requests": 1, "max_ms": 30.0},
    ]
    # The slowest 1 % by default: the last ten of the stall.
    assert tail_spells(starts, latencies) == [{"from_s": 0.51, "to_s": 0.519, "requests": 10, "max_ms": 59.0}]
    assert tail_spells([], []) == []
