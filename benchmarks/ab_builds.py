"""Two builds of gail_fast's simulator, alternated round by round.

    pip install --no-deps --target /tmp/before .   # at the older commit
    python benchmarks/ab_builds.py /tmp/before --env Hopper-v5 --threads 2 [--rounds 31]

Each build runs in a worker process of its own (pybind11 will not load two builds of one
extension into one process) and steps its environment (64 simulations, through
`envs.make`) only when told, so the rounds of the two alternate and share the
machine's drift. Prints the median over rounds of the installed build's speed relative
to the one in the given folder.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

WORKER = r"""
import sys, time
import numpy as np
if sys.argv[1]:
    sys.path.insert(0, sys.argv[1])
from gail_fast import _core, envs
env = envs.make(sys.argv[2], num_envs=64, num_threads=int(sys.argv[3]))
env.reset(seed=0)
space = env.single_action_space
actions = np.random.default_rng(0).uniform(space.low, space.high, (25, 64, space.shape[0]))
print(_core.__file__, flush=True)
for _ in sys.stdin:
    start = time.perf_counter()
    for a in actions:
        env.step(a)
    print(time.perf_counter() - start, flush=True)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("baseline", help="folder holding the other build's gail_fast package")
    parser.add_argument("--env", default="Hopper-v5")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=31)
    args = parser.parse_args()
    workers = {
        name: subprocess.Popen(
            [sys.executable, "-c", WORKER, path, args.env, str(args.threads)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name, path in (("baseline", args.baseline), ("installed", ""))
    }
    for name, w in workers.items():
        print(f"{name}: {w.stdout.readline().strip()}")
    times: dict[str, list[float]] = {name: [] for name in workers}
    ratios = []
    for r in range(args.rounds):
        for name in ("baseline", "installed") if r % 2 else ("installed", "baseline"):
            workers[name].stdin.write("go\n")
            workers[name].stdin.flush()
            times[name].append(float(workers[name].stdout.readline()))
        ratios.append(times["baseline"][-1] / times["installed"][-1])
    for w in workers.values():
        w.stdin.close()
        w.wait()
    q1, med, q3 = statistics.quantiles(ratios, n=4)
    print(f"{args.env}, {args.threads} threads: installed / baseline speed {med:.3f} (quartiles {q1:.3f}-{q3:.3f})")


if __name__ == "__main__":
    main()
