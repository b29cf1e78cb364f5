"""Env-steps per second of the C++ batch simulator beside its peers.

Run: `pytest benchmarks/test_batch_env.py --benchmark-json=bench.json` then
`python benchmarks/report.py bench.json`. Protocol: 64 environments, 2 threads,
uniform actions, episodes ending and resetting by the task's own rules.
"""

import pytest
from conftest import NENV, NTHREAD, run_steps
from peers import EnvPool, GymnasiumSync, MujocoBatchPipeline

from gail_fast import envs

ENV_IDS = ["Humanoid-v5", "Hopper-v5"]
ROUNDS = 30


def ours(env_id, nthread):
    env = envs.make(env_id, num_envs=NENV, num_threads=nthread)
    env.reset(seed=0)
    return env, env.step


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_gail_fast(benchmark, uniform_actions, env_id):
    benchmark.group = env_id
    env, step = ours(env_id, NTHREAD)
    run_steps(benchmark, step, uniform_actions(env.single_action_space), ROUNDS)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_gail_fast_1_thread(benchmark, uniform_actions, env_id):
    benchmark.group = env_id
    env, step = ours(env_id, 1)
    run_steps(benchmark, step, uniform_actions(env.single_action_space), ROUNDS)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_physics_serial(benchmark, uniform_actions, env_id):
    """A plain loop of mj_step with the same actions and resets, one thread: the limit."""
    benchmark.group = env_id
    env, _ = ours(env_id, 1)
    run_steps(benchmark, env.core.step_physics_serial, uniform_actions(env.single_action_space), ROUNDS)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_mujoco_batch(benchmark, uniform_actions, env_id):
    benchmark.group = env_id
    peer = MujocoBatchPipeline(env_id, NENV, NTHREAD)
    space = envs.make(env_id).single_action_space
    run_steps(benchmark, peer, uniform_actions(space), ROUNDS)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_envpool(benchmark, uniform_actions, env_id):
    pytest.importorskip("envpool")
    benchmark.group = env_id
    peer = EnvPool(env_id, NENV, NTHREAD)
    run_steps(benchmark, peer, uniform_actions(peer.env.action_space), ROUNDS)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_gymnasium_sync(benchmark, uniform_actions, env_id):
    benchmark.group = env_id
    peer = GymnasiumSync(env_id, NENV)
    run_steps(benchmark, peer, uniform_actions(peer.env.single_action_space), ROUNDS // 3)
