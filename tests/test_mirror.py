"""The humanoid's left-right mirror (`humanoid.Mirror`) and TRPO's step on mirror images."""

import copy
import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from gail_fast import envs, humanoid
from gail_fast.agent import TrainingConfig
from gail_fast.humanoid import Mirror, mirror_of
from gail_fast.nets import GaussianPolicy, ValueFunction
from gail_fast.rollout import RolloutCollector, to_tensor
from gail_fast.trpo import TRPOConfig, get_flat, policy_step, symmetry_loss

HUMANOIDS = sorted(envs.POSE_FEATURE_ENVS)


@pytest.mark.parametrize("env_id", HUMANOIDS)
def test_the_simulator_steps_a_mirrored_state_into_the_mirrored_states(env_id):
    """Two simulations, the second set to the first's mirror image and driven by the
    mirrored actions, observe each other's mirror images step after step: the map is a
    symmetry of the dynamics, the observation and the action."""
    mirror = mirror_of(env_id)
    env = envs.make(env_id, 2, num_threads=1, seed=3)
    env.reset()
    rng = np.random.default_rng(0)
    for _ in range(5):
        env.step(rng.uniform(-0.1, 0.1, (2, 21)))
    qpos, qvel = env.get_state()
    qpos[1], qvel[1] = Mirror.apply(qpos[0], mirror.qpos), Mirror.apply(qvel[0], mirror.qvel)
    env.set_state(qpos, qvel)
    for _ in range(15):
        action = rng.uniform(-0.3, 0.3, 21)
        obs, _, terminated, truncated, _ = env.step(np.stack([action, Mirror.apply(action, mirror.action)]))
        assert not (terminated | truncated).any()
        np.testing.assert_allclose(Mirror.apply(obs[0], mirror.obs), obs[1], atol=1e-9)
    qpos, qvel = env.get_state()
    np.testing.assert_allclose(Mirror.apply(qpos[0], mirror.qpos), qpos[1], atol=1e-9)
    assert abs(qpos[0, 1] - qpos[1, 1]) > 1e-4  # it moved sideways, so the check above is not of y = 0
    env.close()


def test_the_mirror_swaps_sides_and_is_its_own_inverse():
    mirror = Mirror()
    rng = np.random.default_rng(1)
    for name in ("qpos", "qvel", "action", "features", "obs"):
        x = rng.normal(size=(4, len(getattr(mirror, name)[0])))
        np.testing.assert_array_equal(Mirror.apply(Mirror.apply(x, getattr(mirror, name)), getattr(mirror, name)), x)
    names = humanoid.FEATURE_NAMES
    z = np.arange(len(names), dtype=float)
    mirrored = dict(zip(names, Mirror.apply(z, mirror.features)))
    assert mirrored["right_foot_x"] == names.index("left_foot_x")
    assert mirrored["left_hand_y"] == -names.index("right_hand_y")
    assert mirrored["head_z"] == names.index("head_z")
    assert mirrored["pelvis_step_y"] == -names.index("pelvis_step_y")
    t = torch.as_tensor(z, dtype=torch.float32)
    np.testing.assert_array_equal(Mirror.apply(t, mirror.features).numpy(), Mirror.apply(z, mirror.features))
    with pytest.raises(ValueError, match="maps 18 entries"):
        Mirror.apply(z[:-1], mirror.features)


def _body_variant(tmp_path: Path, old: str, new: str) -> Path:
    """The PD humanoid with one edit to its files."""
    texts = {name: (humanoid.ASSETS / name).read_text() for name in ("humanoid21.xml", "humanoid21_body.xml")}
    assert any(old in text for text in texts.values())
    for name, text in texts.items():
        (tmp_path / name).write_text(text.replace(old, new))
    return tmp_path / "humanoid21.xml"


@pytest.mark.parametrize(
    "old, new, message",
    [
        ('"right_knee"', '"right_knee2"', "no counterpart"),
        ('name="right_hip_z" axis="0 0 -1"', 'name="right_hip_z" axis="0 1 0"', "not mirror images"),
        (
            'name="right_ankle_x" axis="-1 0 0" range="-0.4 0.4"',
            'name="right_ankle_x" axis="-1 0 0" range="-0.3 0.4"',
            "ranges",
        ),
    ],
)
def test_an_asymmetric_model_is_refused(tmp_path, old, new, message):
    xml = _body_variant(tmp_path, old, new)
    with pytest.raises(ValueError, match=message):
        Mirror(xml)


def test_mirror_needs_a_humanoid():
    with pytest.raises(ValueError, match="humanoid"):
        mirror_of("Hopper-v5")
    for trpo in (TRPOConfig(mirror=True), TRPOConfig(mirror_loss=1.0)):
        with pytest.raises(ValueError, match="--mirror-loss need a humanoid"):
            TrainingConfig(env="Hopper-v5", trpo=trpo)
    with pytest.raises(ValueError, match="mirror_loss"):
        TRPOConfig(mirror_loss=-1.0)
    with pytest.raises(ValueError, match="choose one"):
        TRPOConfig(mirror=True, mirror_loss=1.0)


@pytest.fixture(scope="module")
def humanoid_batch():
    env_id = "Humanoid21Imitation-v0"
    torch.manual_seed(0)
    policy = GaussianPolicy(71, 21, (32, 32), -1.0)
    collector = RolloutCollector(envs.make(env_id, 8, num_threads=1), seed=0)
    batch = collector.collect(policy, 64)
    collector.close()
    rewards = np.random.default_rng(0).normal(size=batch.rewards.shape)
    return mirror_of(env_id), policy, batch, rewards


def _step(policy, batch, rewards, cfg, mirror):
    policy = copy.deepcopy(policy)
    value_fn = ValueFunction(71, (32, 32))
    torch.nn.init.zeros_(value_fn.net[-1].weight)  # V = 0: advantages from the rewards alone
    torch.nn.init.zeros_(value_fn.net[-1].bias)
    stats, _ = policy_step(policy, value_fn, batch, rewards, cfg, mirror=mirror)
    assert stats["step_accepted"] == 1.0
    return get_flat(list(policy.parameters())), policy.obs_norm.mean.clone()


class Identity:
    def mirror_obs(self, obs):
        return obs

    def mirror_action(self, actions):
        return actions


def test_with_an_identity_mirror_the_step_is_the_plain_one(humanoid_batch):
    """The mirror images enter as a second half of the batch, averaged with the first."""
    _, policy, batch, rewards = humanoid_batch
    plain, plain_mean = _step(policy, batch, rewards, TRPOConfig(), None)
    doubled, doubled_mean = _step(policy, batch, rewards, TRPOConfig(mirror=True), Identity())
    torch.testing.assert_close(doubled_mean, plain_mean)
    torch.testing.assert_close(doubled, plain, atol=2e-5, rtol=1e-4)


def test_the_step_is_the_same_from_a_batch_or_its_mirror_image(humanoid_batch):
    """Each sample carries its advantage to its mirror image, and the normaliser sees
    both: a batch and its mirror image give the same step."""
    mirror, policy, batch, rewards = humanoid_batch
    mirrored = dataclasses.replace(
        batch,
        obs=Mirror.apply(batch.obs, mirror.obs),
        actions=Mirror.apply(batch.actions, mirror.action),
        final_obs=Mirror.apply(batch.final_obs, mirror.obs),
        last_obs=Mirror.apply(batch.last_obs, mirror.obs),
    )
    cfg = TRPOConfig(mirror=True)
    one, one_mean = _step(policy, batch, rewards, cfg, mirror)
    other, other_mean = _step(policy, mirrored, rewards, cfg, mirror)
    torch.testing.assert_close(one_mean, other_mean)
    torch.testing.assert_close(one, other, atol=2e-5, rtol=1e-4)
    plain, _ = _step(policy, batch, rewards, TRPOConfig(), None)
    assert (plain - one).abs().max() > 1e-3  # the mirror images changed the step


def test_policy_step_refuses_mirror_without_the_map(humanoid_batch):
    _, policy, batch, rewards = humanoid_batch
    for cfg in (TRPOConfig(mirror=True), TRPOConfig(mirror_loss=1.0)):
        with pytest.raises(ValueError, match="mirror map"):
            _step(policy, batch, rewards, cfg, None)


def test_the_symmetry_loss_makes_the_step_more_symmetric(humanoid_batch):
    """The policy's asymmetry after a step falls as the loss's weight grows; with an
    identity mirror there is none to lose, and the step is the plain one."""
    mirror, policy, batch, rewards = humanoid_batch
    policy = copy.deepcopy(policy)
    with torch.no_grad():
        policy.mean[-1].weight.normal_(0.0, 0.1)  # an asymmetric policy
    obs = to_tensor(batch.obs).reshape(-1, policy.nobs)

    def asymmetry(weight: float) -> float:
        stepped = copy.deepcopy(policy)
        value_fn = ValueFunction(71, (32, 32))
        policy_step(stepped, value_fn, batch, rewards, TRPOConfig(mirror_loss=weight), mirror=mirror)
        with torch.no_grad():
            return symmetry_loss(stepped, stepped.mean(stepped.obs_norm(obs)), mirror.mirror_obs(obs), mirror).item()

    before = symmetry_loss(policy, policy.mean(policy.obs_norm(obs)), mirror.mirror_obs(obs), mirror).item()
    assert before > 0.1
    plain, weak, strong = asymmetry(0.0), asymmetry(1.0), asymmetry(100.0)
    assert strong < weak < plain
    identity, _ = _step(policy, batch, rewards, TRPOConfig(mirror_loss=100.0), Identity())
    plain_step, _ = _step(policy, batch, rewards, TRPOConfig(mirror=False), None)
    torch.testing.assert_close(identity, plain_step, atol=2e-5, rtol=1e-4)
