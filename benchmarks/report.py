"""Turns pytest-benchmark JSON files into env-steps/s and the ratios of the README table.

Usage: python benchmarks/report.py run1.json [run2.json ...]
(For test_loop.py's groups: each stage's time as a multiple of the simulator's.)
Each benchmark's median round time is taken per file, then the median over files, so
that several runs of the suite, alternated in time, smooth the machine's drift.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict


def load(paths: list[str]) -> dict[str, dict[str, float]]:
    """Returns {group: {test name: env-steps per second}}."""
    medians: dict[tuple[str, str], list[float]] = defaultdict(list)
    steps: dict[tuple[str, str], int] = {}
    for path in paths:
        with open(path) as f:
            for bench in json.load(f)["benchmarks"]:
                key = (bench["group"], bench["name"].split("[")[0].removeprefix("test_"))
                medians[key].append(bench["stats"]["median"])
                steps[key] = bench["extra_info"]["env_steps"]
    rates: dict[str, dict[str, float]] = defaultdict(dict)
    for (group, name), times in medians.items():
        rates[group][name] = steps[(group, name)] / statistics.median(times)
    return rates


def main(paths: list[str]) -> None:
    nthread = 2
    for group, rate in sorted(load(paths).items()):
        print(f"\n{group} (env-steps/s, median of {len(paths)} run(s))")
        for name, r in sorted(rate.items(), key=lambda kv: -kv[1]):
            print(f"  {name:20s} {r:10.0f}")
        if "simulator_alone" in rate:  # test_loop.py: each stage's time against the simulator's
            for name, r in sorted(rate.items(), key=lambda kv: -kv[1]):
                print(f"  {name:20s} {rate['simulator_alone'] / r:6.2f} x the simulator's time")
            continue
        ours = rate["gail_fast"]
        ratios = {
            f"physics limit ({nthread} x serial mj_step loop)": rate["physics_serial"] * nthread,
            "EnvPool": rate.get("envpool"),
            "mujoco.batch pipeline": rate["mujoco_batch"],
            "Gymnasium SyncVectorEnv": rate["gymnasium_sync"],
            "gail_fast, 1 thread": rate["gail_fast_1_thread"],
        }
        for peer, r in ratios.items():
            if r:
                print(f"  gail_fast / {peer}: {ours / r:.2f}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
