"""The benchmarks tell the truth: ``bench.latency``'s pass-to-verdict includes the shipped
thermometer procedure (not one tick of computing), and ``bench.lane`` runs the shipped camera
rate with people who differ, so its p99 is not its p50 by construction."""

from __future__ import annotations

import statistics
from pathlib import Path

from bench.lane import GATES, Population, run_lane
from bench.latency import pass_to_verdict, percentile
from kiosk.config import load_config


def test_pass_to_verdict_waits_for_the_shipped_thermometer_procedure(tmp_path: Path) -> None:
    shipped = load_config(None).thermometer
    procedure_s = shipped.settling_s + (shipped.samples - 1) * shipped.sample_interval_s
    waits = pass_to_verdict(3, tmp_path)
    assert min(waits) >= procedure_s


def test_the_lane_runs_as_shipped_with_people_who_differ(tmp_path: Path) -> None:
    people_mix = Population(refused_share=0.25)
    lane, people = run_lane(GATES["barrier"], 8, tmp_path, {}, population=people_mix, seed=3)
    assert lane.app.config.camera.fps == load_config(None).camera.fps
    latencies = [p.latency_s for p in people]
    assert percentile(latencies, 99) > statistics.median(latencies) + 0.1
    presenting = {round(p.traits.present_s, 3) for p in people}
    assert len(presenting) == len(people)
    refused = [p for p in people if p.traits.refused]
    assert refused and all(not p.allowed for p in refused)
