"""The speed table's `mujoco.batch` peer (benchmarks/peers.py) does our task's work: from the
same states and actions, its observations, rewards, terminations and truncations are
ours. Its ratio in the README rests on this."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from gail_fast import envs

pytest.importorskip("mujoco.batch", reason="the peer needs mujoco's batch module (mujoco.batch.Batch)")

NCFRC = 13 * 6  # Humanoid-v5's last observation columns: cfrc_ext of bodies 1..13


@pytest.fixture(scope="module")
def peers():
    path = Path(__file__).parents[1] / "benchmarks" / "peers.py"
    spec = importlib.util.spec_from_file_location("benchmark_peers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sync(peer, ours, ids):
    """Puts our simulations' states into the peer's rows `ids` (their reset noise differs)."""
    qpos, qvel = ours.get_state()
    peer.qpos[ids], peer.qvel[ids] = qpos[ids], qvel[ids]
    peer.batch.forward(ids)


@pytest.mark.parametrize("env_id", ["Hopper-v5", "Humanoid-v5"])
def test_peer_observes_and_rewards_as_our_task(peers, env_id):
    nenv, limit = 12, 40  # a short time limit, so truncations happen as well as falls
    ours = envs.make(env_id, num_envs=nenv, num_threads=2, max_episode_steps=limit)
    peer = peers.MujocoBatchPipeline(env_id, nenv, nthread=2)
    peer.limit = limit
    obs, _ = ours.reset(seed=0)
    sync(peer, ours, np.arange(nenv))
    humanoid = env_id == "Humanoid-v5"
    keep = slice(0, -NCFRC) if humanoid else slice(None)
    np.testing.assert_allclose(peer.observe()[:, keep], obs[:, keep], rtol=1e-9, atol=1e-9)
    space = ours.single_action_space
    rng = np.random.default_rng(0)
    ended_total = {"terminated": 0, "truncated": 0}
    for _ in range(120):
        actions = rng.uniform(space.low, space.high, (nenv, space.shape[0]))
        obs, reward, terminated, truncated, info = ours.step(actions)
        p_obs, p_reward, p_terminated, p_truncated, p_final = peer(actions)
        np.testing.assert_array_equal(p_terminated, terminated)
        np.testing.assert_array_equal(p_truncated, truncated)
        ended = terminated | truncated
        last = np.where(ended[:, None], info.get("final_obs", obs), obs)  # what each step led to
        expected_reward = reward
        if humanoid:
            # The peer skips mj_rnePostConstraint: contact forces stay zero, and so does the
            # contact cost that our task (and Gymnasium's) subtracts. Everything else matches.
            assert not p_obs[:, -NCFRC:].any() and not p_final[:, -NCFRC:].any()
            contact_cost = np.minimum(5e-7 * np.square(last[:, -NCFRC:]).sum(axis=1), 10.0)
            expected_reward = reward + contact_cost
        np.testing.assert_allclose(p_reward, expected_reward, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(p_obs[~ended][:, keep], obs[~ended][:, keep], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(p_final[:, keep], last[ended][:, keep], rtol=1e-9, atol=1e-9)
        ids = np.flatnonzero(ended)
        if len(ids):
            sync(peer, ours, ids)
            np.testing.assert_allclose(peer.observe()[ids][:, keep], obs[ids][:, keep], rtol=1e-9, atol=1e-9)
        ended_total["terminated"] += int(terminated.sum())
        ended_total["truncated"] += int(truncated.sum())
    assert ended_total["terminated"] > 0 and ended_total["truncated"] > 0, ended_total
