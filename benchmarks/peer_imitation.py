"""Whole-loop env-steps/s of our Hopper GAIL beside the `imitation` library's GAIL with
Stable-Baselines3, on this machine, alternated round by round.

    python benchmarks/peer_imitation.py --peer-venv /tmp/peer-venv [--create] [--rounds 3] [--iterations 5]

The peer needs `gymnasium~=0.29`, which conflicts with ours, so it runs in a virtual
environment of its own, outside the repository, in a subprocess; `--create` makes it:

    python3 -m venv VENV && VENV/bin/pip install torch==2.13.0 \\
        && VENV/bin/pip install imitation stable-baselines3 "gymnasium[mujoco]~=0.29"

Like for like, per iteration: 16 environments x 256 steps (a batch of 4096), a 64 x 64
tanh policy and value function, 5 passes of 8 minibatches over the batch (our value
function; the peer's PPO, its generator, fits policy and value so), one discriminator
step on the whole batch against as many expert samples (100 x 100 networks), 10,000
synthetic expert transitions; the peer on Gymnasium 0.29's Hopper-v4 in a DummyVecEnv
(in the process, as our simulator), ours on Hopper-v5 in the C++ simulator with its
default threads. Each side is timed from its first rollout, after its setup, for
`--iterations` iterations; reported are the medians over rounds of both rates and of
their ratio within a round (this machine is shared, and its speed drifts).
Not part of CI or the test suite.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from loop_settings import config, make_demos
from loop_speed import loop_round

PEER = r"""
import json, sys, time
import numpy as np
import torch
from imitation.algorithms.adversarial.gail import GAIL
from imitation.data import types
from imitation.rewards.reward_nets import BasicRewardNet
from imitation.util import logger as imit_logger
from imitation.util.networks import RunningNorm
from imitation.util.util import make_vec_env
from stable_baselines3 import PPO

iterations = int(sys.argv[1])
torch.set_num_threads(1)
rng = np.random.default_rng(0)
venv = make_vec_env("Hopper-v4", rng=rng, n_envs=16)
n = 10_000
obs = rng.normal(size=(n + 1, 11)).astype(np.float32)
demos = types.Transitions(
    obs=obs[:-1], acts=rng.uniform(-1, 1, size=(n, 3)).astype(np.float32), infos=np.array([{}] * n),
    next_obs=obs[1:], dones=np.zeros(n, bool),
)
learner = PPO("MlpPolicy", venv, n_steps=256, batch_size=512, n_epochs=5, seed=0, device="cpu",
              policy_kwargs=dict(activation_fn=torch.nn.Tanh, net_arch=dict(pi=[64, 64], vf=[64, 64])))
reward_net = BasicRewardNet(venv.observation_space, venv.action_space, normalize_input_layer=RunningNorm,
                            hid_sizes=(100, 100))
trainer = GAIL(demonstrations=demos, demo_batch_size=4096, gen_replay_buffer_capacity=4096,
               n_disc_updates_per_round=1, venv=venv, gen_algo=learner, reward_net=reward_net,
               allow_variable_horizon=True, custom_logger=imit_logger.configure(format_strs=[]))
start = time.perf_counter()
trainer.train(iterations * 4096)
print(json.dumps({"steps": iterations * 4096, "seconds": time.perf_counter() - start}))
"""


def create(venv: Path) -> None:
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "torch==2.13.0"], check=True)  # the CPU build first
    subprocess.run([*pip, "imitation", "stable-baselines3", "gymnasium[mujoco]~=0.29"], check=True)


def peer_round(python: Path, script: Path, iterations: int) -> float:
    out = subprocess.run(
        [str(python), str(script), str(iterations)], check=True, capture_output=True, text=True
    ).stdout.strip()
    result = json.loads(out.splitlines()[-1])
    return result["steps"] / result["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peer-venv", type=Path, required=True, help="the peer's virtual environment")
    parser.add_argument("--create", action="store_true", help="create the peer's virtual environment first")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=5)
    args = parser.parse_args()
    if args.create:
        create(args.peer_venv)
    python = args.peer_venv / "bin" / "python"
    ours, peer, ratio = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "peer.py"
        script.write_text(PEER)
        cfg = config("hopper", make_demos("hopper", Path(tmp)), args.iterations)
        for k in range(args.rounds):
            ours.append(loop_round(cfg, Path(tmp) / f"ours{k}")[0])
            peer.append(peer_round(python, script, args.iterations))
            ratio.append(ours[-1] / peer[-1])
            print(
                f"round {k + 1}: gail_fast {ours[-1]:.0f}/s, imitation {peer[-1]:.0f}/s, {ratio[-1]:.1f}x", flush=True
            )
    print(
        f"Hopper GAIL, {args.iterations} iterations of 4096 steps, {args.rounds} rounds: gail_fast "
        f"{statistics.median(ours):.0f} env-steps/s, imitation + SB3 {statistics.median(peer):.0f}, "
        f"{statistics.median(ratio):.1f}x ({min(ratio):.1f}-{max(ratio):.1f})"
    )


if __name__ == "__main__":
    main()
