"""The C++ tasks against Gymnasium's own environments, step by step."""

import gymnasium as gym
import numpy as np
import pytest

from gail_fast import envs

NSTEP = 300


@pytest.mark.parametrize("env_id", sorted(e for e, spec in envs.FAST_ENVS.items() if spec.gymnasium_id))
def test_matches_gymnasium_across_episode_ends(env_id):
    """From the same state and actions: same obs, reward, terminated, truncated.

    Each of our episodes starts from our own reset noise; Gymnasium's copy is reset and
    given that state, so the comparison runs through episode ends. A short time limit
    makes truncation happen too, for the tasks that never terminate.
    """
    nenv, limit = 3, 70
    ours = envs.make(env_id, num_envs=nenv, num_threads=2, max_episode_steps=limit)
    refs = [gym.make(envs.FAST_ENVS[env_id].gymnasium_id, max_episode_steps=limit) for _ in range(nenv)]
    obs, _ = ours.reset(seed=7)

    def sync_reference(i, qpos, qvel):
        ref_obs, _ = refs[i].reset(seed=i)
        refs[i].unwrapped.set_state(qpos[i], qvel[i])
        return refs[i].unwrapped._get_obs()

    qpos, qvel = ours.get_state()
    for i in range(nenv):
        np.testing.assert_allclose(sync_reference(i, qpos, qvel), obs[i], rtol=0, atol=1e-9)

    rng = np.random.default_rng(0)
    space = ours.single_action_space
    # Large actions make the walkers fall, so terminations happen within the test.
    scale = 3.0 if env_id in ("Hopper-v5", "Walker2d-v5", "Ant-v5", "Humanoid-v5") else 1.0
    ended = 0
    for t in range(NSTEP):
        actions = rng.uniform(space.low * scale, space.high * scale, (nenv, space.shape[0]))
        obs, reward, terminated, truncated, info = ours.step(actions)
        qpos, qvel = ours.get_state()
        assert not info["diverged"].any()
        for i in range(nenv):
            r_obs, r_rew, r_term, r_trunc, _ = refs[i].step(actions[i])
            assert (terminated[i], truncated[i]) == (r_term, r_trunc), f"step {t} env {i}"
            assert reward[i] == pytest.approx(r_rew, abs=1e-9, rel=0), f"step {t} env {i}"
            if r_term or r_trunc:
                ended += 1
                np.testing.assert_allclose(info["final_obs"][i], r_obs, rtol=0, atol=1e-9)
                np.testing.assert_allclose(sync_reference(i, qpos, qvel), obs[i], rtol=0, atol=1e-9)
            else:
                np.testing.assert_allclose(obs[i], r_obs, rtol=0, atol=1e-9, err_msg=f"step {t} env {i}")
    assert ended >= nenv, "the test must cross episode ends"
