"""Rollouts on environments whose episodes are cut by a time limit (and end by falls): the
batch's next observations, final observations, returns and lengths against a step-by-step
replay of the same environment, for the C++ simulator and Gymnasium's fallback. `Batch.next_obs` is the input of `--mode ss` and the
bootstrap after a truncation."""

import numpy as np
import pytest
import torch

from gail_fast import envs
from gail_fast.nets import GaussianPolicy
from gail_fast.rollout import RolloutCollector, to_tensor

SEED = 7


def replay(env_id, nenv, limit, policy, nstep):
    """The same rollout, one env.step at a time, keeping what each step led to."""
    env = envs.make(env_id, num_envs=nenv, max_episode_steps=limit)
    obs, _ = env.reset(seed=SEED)
    space = env.single_action_space
    led_to, rewards, ended, returns, lengths = [], [], [], [], []
    running, steps = np.zeros(nenv), np.zeros(nenv, dtype=int)
    for _ in range(nstep):
        action, _ = policy.act(to_tensor(obs), deterministic=True)
        obs, reward, terminated, truncated, info = env.step(np.clip(action.numpy(), space.low, space.high))
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
