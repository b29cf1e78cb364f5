"""The README's speed table: every peer alternated round by round in one process.

pytest-benchmark times each peer's rounds back to back, so a burst of load on this
shared machine can land on one peer only. Here each round runs every peer once, in a
rotating order, and the medians over rounds give the ratios.

    python benchmarks/interleaved.py [--rounds 21] [--env Humanoid-v5 --env Hopper-v5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from peers import EnvPool, GymnasiumSync, MujocoBatchPipeline

from gail_fast import envs

NENV, NTHREAD, NSTEP = 64, 2, 25


def make_peers(env_id: str) -> dict:
    def ours(nthread):
        env = envs.make(env_id, num_envs=NENV, num_threads=nthread)
        env.reset(seed=0)
        return env

    serial = ours(1)
    peers = {
        "gail_fast": ours(NTHREAD).step,
        "gail_fast_1_thread": ours(1).step,
        "physics_serial": serial.core.step_physics_serial,
        "mujoco_batch": MujocoBatchPipeline(env_id, NENV, NTHREAD),
        "gymnasium_sync": GymnasiumSync(env_id, NENV),
    }
    try:
        peers["envpool"] = EnvPool(env_id, NENV, NTHREAD)
        peers["envpool_1_thread"] = EnvPool(env_id, NENV, 1)
    except ImportError:
        pass
    return peers


def measure(env_id: str, rounds: int) -> dict[str, float]:
    """Median env-steps/s of every peer."""
    peers = make_peers(env_id)
    space = envs.make(env_id).single_action_space
    actions = np.random.default_rng(0).uniform(space.low, space.high, (NSTEP, NENV, space.shape[0]))
    times: dict[str, list[float]] = {name: [] for name in peers}
    names = list(peers)
    for r in range(rounds + 1):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            step = peers[name]
            start = time.perf_counter()
            for a in actions:
                step(a)
            if r > 0:  # round 0 warms up
                times[name].append(time.perf_counter() - start)
    return {name: NSTEP * NENV / statistics.median(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--env", action="append", default=None)
    args = parser.parse_args()
    for env_id in args.env or ["Humanoid-v5", "Hopper-v5"]:
        rate = measure(env_id, args.rounds)
        print(f"\n{env_id}: {NENV} envs, {NTHREAD} threads, median of {args.rounds} alternated rounds")
        for name, r in sorted(rate.items(), key=lambda kv: -kv[1]):
            print(f"  {name:20s} {r:8.0f} env-steps/s")
        ours = rate["gail_fast"]
        print(
            f"  gail_fast / physics limit ({NTHREAD} x serial mj_step loop): {ours / (NTHREAD * rate['physics_serial']):.2f}"
        )
        if "envpool_1_thread" in rate:
            print(f"  envpool_1_thread / physics_serial: {rate['envpool_1_thread'] / rate['physics_serial']:.2f}")
        for peer in ("envpool", "mujoco_batch", "gymnasium_sync", "gail_fast_1_thread"):
            if peer in rate:
                print(f"  gail_fast / {peer}: {ours / rate[peer]:.2f}")


if __name__ == "__main__":
    main()
