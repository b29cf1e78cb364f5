"""One iteration of each stage of the GAIL training loop, for each setting of
`loop_settings.py`, beside the simulator alone stepping as many steps: one group per
setting, so that a regression in a stage shows against the simulator of the same run.

    cd benchmarks && python -m pytest test_loop.py --benchmark-json=loop.json
    python report.py loop.json      # env-steps/s of a batch through each stage
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from loop_settings import SETTINGS, config, make_demos

from gail_fast import gail
from gail_fast.agent import Agent
from gail_fast.demos import Demonstrations
from gail_fast.loop import make_collector, policy_step_threads
from gail_fast.runs import Run, checkpoint
from gail_fast.trpo import fit_value, policy_step

ROUNDS = 5


@pytest.fixture(scope="module", params=SETTINGS)
def loop(request, tmp_path_factory):
    """What `train_gail` holds during an iteration, and a first batch."""
    tmp = tmp_path_factory.mktemp(request.param)
    cfg = config(request.param, make_demos(request.param, tmp), iterations=1)
    torch.set_num_threads(cfg.torch_threads)
    collector = make_collector(cfg)
    collector.reset(cfg.seed)
    demos = Demonstrations.load(cfg.demos).take(cfg.num_trajectories)
    expert = gail.expert_inputs(demos, cfg.mode)
    nobs, nact = collector.observation_space.shape[0], collector.action_space.shape[0]
    agent = Agent.create(nobs, nact, cfg.hidden, cfg.init_log_std, cfg.trpo.vf_lr, cfg.seed)
    disc = gail.Discriminator(expert, cfg.disc_hidden)
    batch = collector.collect(agent.policy, cfg.nstep)
    low, high = collector.action_space.low, collector.action_space.high
    z = torch.as_tensor(gail.policy_inputs(batch, cfg.mode, low, high), dtype=torch.float32)
    rewards = disc.reward(z, cfg.reward).numpy().reshape(batch.nstep, batch.nenv).astype(np.float64)
    run = Run(tmp / "run", {"algo": "gail"})
    for k in range(1, 200):  # a run some way in, for the checkpoint's rows and the curves
        run.log(k, k * cfg.nstep * cfg.num_envs, {"charts/episodic_return": float(k), "losses/kl": 0.01})
    yield SimpleNamespace(
        name=request.param,
        cfg=cfg,
        collector=collector,
        agent=agent,
        disc=disc,
        disc_optimizer=torch.optim.Adam(disc.parameters(), lr=cfg.disc_lr, foreach=True),
        expert=torch.as_tensor(expert, dtype=torch.float32),
        batch=batch,
        z=z,
        rewards=rewards,
        run=run,
    )
    run.close()
    collector.close()


def timed(benchmark, loop, fn, rounds=ROUNDS):
    benchmark.group = f"loop stages: {loop.name} ({loop.cfg.env}, {loop.cfg.num_envs} x {loop.cfg.nstep})"
    benchmark.extra_info["env_steps"] = loop.cfg.num_envs * loop.cfg.nstep
    benchmark.pedantic(fn, rounds=rounds, warmup_rounds=1, iterations=1)


def test_simulator_alone(benchmark, loop):
    """The batch's actions through the environments, no policy: what the loop is measured against."""
    env = loop.collector.env
    actions = np.clip(loop.batch.actions, loop.collector.action_low, loop.collector.action_high)

    def step():
        for a in actions:
            env.step(a)

    timed(benchmark, loop, step)


def test_rollout(benchmark, loop):
    timed(benchmark, loop, lambda: loop.collector.collect(loop.agent.policy, loop.cfg.nstep))


def test_reward(benchmark, loop):
    low, high = loop.collector.action_space.low, loop.collector.action_space.high

    def reward():
        z = torch.as_tensor(gail.policy_inputs(loop.batch, loop.cfg.mode, low, high), dtype=torch.float32)
        loop.disc.reward(z, loop.cfg.reward).numpy()

    timed(benchmark, loop, reward)


def test_policy_step(benchmark, loop):
    """On the loop's `policy_step_threads`: nothing runs beside it."""
    a = loop.agent

    def step():
        with policy_step_threads(loop.cfg):
            policy_step(a.policy, a.value_fn, loop.batch, loop.rewards, loop.cfg.trpo)

    timed(benchmark, loop, step)


def test_fit_value(benchmark, loop):
    a = loop.agent
    _, targets = policy_step(a.policy, a.value_fn, loop.batch, loop.rewards, loop.cfg.trpo)
    timed(benchmark, loop, lambda: fit_value(a.value_fn, a.vf_optimizer, targets, loop.cfg.trpo))


def test_discriminator(benchmark, loop):
    cfg = loop.cfg

    def steps():
        for _ in range(cfg.disc_steps):
            ex = loop.expert[torch.randint(len(loop.expert), (len(loop.z),))]
            gail.discriminator_step(loop.disc, loop.disc_optimizer, ex, loop.z, cfg.disc_entropy, cfg.grad_penalty)

    timed(benchmark, loop, steps)


def test_checkpoint(benchmark, loop):
    """A checkpoint with the progress rows since the last (one in `checkpoint_every` iterations)."""
    a = loop.agent
    state = lambda: checkpoint("gail", loop.cfg, 1, 1, a.policy, **a.state_dict(), discriminator=loop.disc.state_dict())  # noqa: E731
    timed(benchmark, loop, lambda: loop.run.save(state()))


def test_curves(benchmark, loop):
    """curves.png of 200 iterations (once every `plot_every` seconds)."""
    timed(benchmark, loop, lambda: loop.run.plot(gail.CURVES), rounds=3)
