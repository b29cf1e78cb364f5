"""Rollouts on environments whose episodes are cut by a time limit (and end by falls): the
batch's next observations, final observations, returns and lengths against a step-by-step
replay of the same environment, for the C++ simulator and Gymnasium's fallback. `Batch.next_obs` is the input of `--mode ss` and the
bootstrap after a truncation."""

import numpy as np
import pytest
import torch

from gail_fast import envs
from gail_fast.nets import GaussianPolicy
from gail_fast.rollout import RolloutCollector, join_batches, mean_actions, to_tensor

SEED = 7


def replay(env_id, nenv, limit, policy, nstep):
    """The same rollout, one env.step at a time, keeping what each step led to (the
    actions computed as a rollout computes them, in row blocks)."""
    env = envs.make(env_id, num_envs=nenv, max_episode_steps=limit)
    obs, _ = env.reset(seed=SEED)
    space = env.single_action_space
    led_to, rewards, ended, returns, lengths = [], [], [], [], []
    running, steps = np.zeros(nenv), np.zeros(nenv, dtype=int)
    for _ in range(nstep):
        action = mean_actions(policy, to_tensor(obs)).numpy()
        obs, reward, terminated, truncated, info = env.step(np.clip(action, space.low, space.high))
        done = terminated | truncated
        led = obs.astype(np.float64)
        for i in np.flatnonzero(done):
            led[i] = info["final_obs"][i]
        led_to.append(led)
        running += reward
        steps += 1
        for i in np.flatnonzero(done):
            returns.append(running[i])
            lengths.append(steps[i])
        running[done], steps[done] = 0.0, 0
        rewards.append(reward)
        ended.append(done)
    return np.array(led_to), np.array(rewards), np.array(ended), np.array(returns), np.array(lengths)


@pytest.mark.parametrize(
    "env_id, limit", [("HalfCheetah-v5", 7), ("Hopper-v5", 9), ("Humanoid21Imitation-v0", 6), ("Pendulum-v1", 5)]
)
def test_next_obs_is_where_each_step_led_across_truncations(env_id, limit):
    nenv, nstep = 3, 20
    env = envs.make(env_id, num_envs=nenv, max_episode_steps=limit)
    torch.manual_seed(0)
    policy = GaussianPolicy(env.single_observation_space.shape[0], env.single_action_space.shape[0], (16,))
    collector = RolloutCollector(env, seed=SEED)
    # two batches whose boundary falls inside episodes: episodes span calls
    first, second = collector.collect(policy, 8, deterministic=True), collector.collect(policy, 12, deterministic=True)
    led_to, rewards, ended, returns, lengths = replay(env_id, nenv, limit, policy, nstep)

    next_obs = np.concatenate([first.next_obs(), second.next_obs()])
    np.testing.assert_array_equal(next_obs, led_to)
    np.testing.assert_array_equal(np.concatenate([first.rewards, second.rewards]), rewards)
    np.testing.assert_array_equal(np.concatenate([first.ended, second.ended]), ended)
    truncated = np.concatenate([first.truncated, second.truncated])
    assert truncated.any(), "the time limit should cut episodes"
    # the observation after a truncation is the next episode's first: next_obs must not be it
    t, i = np.argwhere(truncated)[0]
    batch, tt = (first, t) if t < first.nstep else (second, t - first.nstep)
    following = batch.obs[tt + 1, i] if tt + 1 < batch.nstep else batch.last_obs[i]
    assert not np.array_equal(next_obs[t, i], following)
    np.testing.assert_array_equal(next_obs[t, i], batch.final_obs[tt, i])
    # the last step of a batch leads to last_obs (where it did not end): the bootstrap
    live = ~first.ended[-1]
    np.testing.assert_array_equal(first.next_obs()[-1][live], first.last_obs[live])
    np.testing.assert_array_equal(first.last_obs, second.obs[0])
    # returns and lengths of the episodes that ended, in the order they ended
    np.testing.assert_allclose(np.concatenate([first.episode_returns, second.episode_returns]), returns)
    np.testing.assert_array_equal(np.concatenate([first.episode_lengths, second.episode_lengths]), lengths)
    assert lengths.max() <= limit and (lengths[truncated[ended]] == limit).all()


@pytest.mark.parametrize(
    "env_id, hidden, shares",
    [("Hopper-v5", (64, 64), (13, 14, 13)), ("Humanoid21Imitation-v0", (150, 150, 150), (20, 44))],
)
def test_shares_of_a_run_collect_the_runs_batches(env_id, hidden, shares):
    """Collectors each holding a share of a run's environments (shares that start and end
    inside the policy's row blocks) collect, joined, the batches of one collector of them
    all, bit for bit, episodes continuing across calls: what lets workers stand in for it."""
    total, limit = sum(shares), 30  # the time limit ends episodes inside the batches
    torch.manual_seed(1)
    whole = RolloutCollector(envs.make(env_id, num_envs=total, num_threads=2, max_episode_steps=limit), seed=SEED)
    nobs, nact = whole.observation_space.shape[0], whole.action_space.shape[0]
    policy = GaussianPolicy(nobs, nact, hidden, log_std=-0.5)
    firsts = np.cumsum((0, *shares[:-1]))
    parts = [
        RolloutCollector(
            envs.make(env_id, num_envs=n, num_threads=1, max_episode_steps=limit),
            SEED,
            first_env=int(a),
            total_envs=total,
        )
        for a, n in zip(firsts, shares)
    ]
    for _ in range(2):
        expect, joined = whole.collect(policy, 40), join_batches([p.collect(policy, 40) for p in parts])
        assert len(expect.episode_returns), "episodes should end, so that their order is tested"
        for name in ("obs", "actions", "log_probs", "rewards", "terminated", "truncated", "final_obs", "last_obs"):
            np.testing.assert_array_equal(getattr(joined, name), getattr(expect, name), err_msg=name)
        np.testing.assert_array_equal(joined.episode_returns, expect.episode_returns)
        np.testing.assert_array_equal(joined.episode_lengths, expect.episode_lengths)


def test_a_share_outside_the_run_is_refused():
    with pytest.raises(ValueError, match="environments 8..13 are not in a run of 10"):
        RolloutCollector(envs.make("Hopper-v5", num_envs=5), first_env=8, total_envs=10)
