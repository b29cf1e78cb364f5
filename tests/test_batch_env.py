"""BatchEnv behaviour: determinism, autoreset, state access and bad input."""

import os

import gymnasium as gym
import numpy as np
import pytest

from gail_fast import _core, envs


def rollout(env_id, nthread, nstep=150, nenv=6, seed=3):
    env = envs.make(env_id, num_envs=nenv, num_threads=nthread, max_episode_steps=60)
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(1)
    space = env.single_action_space
    trace = [obs]
    for _ in range(nstep):
        actions = rng.uniform(space.low * 2, space.high * 2, (nenv, space.shape[0]))
        obs, reward, terminated, truncated, info = env.step(actions)
        trace += [obs, reward, terminated, truncated, info.get("final_obs", np.zeros(0))]
    return trace


@pytest.mark.parametrize("env_id", ["Hopper-v5", "Humanoid-v5"])
def test_bit_identical_for_any_thread_count(env_id):
    one = rollout(env_id, 1)
    for nthread in (2, 8):
        other = rollout(env_id, nthread)
        for a, b in zip(one, other):
            np.testing.assert_array_equal(a, b)


def test_seed_decides_reset_noise():
    env = envs.make("Hopper-v5", num_envs=4)
    a, _ = env.reset(seed=5)
    b, _ = env.reset(seed=5)
    c, _ = env.reset(seed=6)
    np.testing.assert_array_equal(a, b)
    # simulation i is seeded with seed + i, so seed 6 starts where simulation 1 of seed 5 did
    np.testing.assert_array_equal(c[:3], a[1:])
    assert not np.array_equal(a[0], a[1])


def test_reset_noise_has_the_task_distribution():
    """Hopper's qpos noise is U(-5e-3, 5e-3) around the model's qpos0."""
    env = envs.make("Hopper-v5", num_envs=2000)
    env.reset(seed=0)
    qpos, qvel = env.get_state()
    qpos0 = gym.make("Hopper-v5").unwrapped.init_qpos
    noise = qpos - qpos0
    assert np.abs(noise).max() <= 5e-3
    assert np.abs(noise).max() > 4.9e-3
    assert abs(noise.mean()) < 2e-4
    assert noise.std() == pytest.approx(5e-3 / np.sqrt(3), rel=0.05)


def test_time_limit_truncates_and_resets():
    env = envs.make("HalfCheetah-v5", num_envs=2, max_episode_steps=5)
    env.reset(seed=0)
    for t in range(1, 11):
        obs, _, terminated, truncated, info = env.step(np.zeros((2, 6)))
        assert not terminated.any()
        assert truncated.all() == (t % 5 == 0)
        if t % 5 == 0:
            assert info["_final_obs"].all()
            assert not np.array_equal(info["final_obs"], obs)
    np.testing.assert_array_equal(env.core.elapsed_steps, [0, 0])


def test_state_round_trip():
    env = envs.make("Walker2d-v5", num_envs=3)
    env.reset(seed=0)
    env.step(np.full((3, 6), 0.5))
    qpos, qvel = env.get_state()
    env.step(np.zeros((3, 6)))
    env.set_state(qpos, qvel)
    np.testing.assert_array_equal(env.get_state()[0], qpos)
    np.testing.assert_array_equal(env.get_state()[1], qvel)


def test_diverging_simulation_is_reset_and_reported():
    env = envs.make("Hopper-v5", num_envs=2)
    env.reset(seed=0)
    qpos, qvel = env.get_state()
    qvel[1] = 1e30  # blows up on the next step
    env.set_state(qpos, qvel)
    obs, reward, terminated, truncated, info = env.step(np.zeros((2, 3)))
    np.testing.assert_array_equal(info["diverged"], [False, True])
    assert truncated[1] and not terminated[1]
    assert np.isfinite(obs).all()
    qpos_after, _ = env.get_state()
    assert np.abs(qpos_after[1] - gym.make("Hopper-v5").unwrapped.init_qpos).max() <= 5e-3


def test_body_positions_follow_the_model():
    env = envs.BatchVectorEnv("Hopper-v5", 2, body_names=("torso", "foot"))
    _, info = env.reset(seed=0)
    pos = info["body_pos"]
    assert pos.shape == (2, 2, 3)
    assert pos[:, 0, 2] == pytest.approx(1.25, abs=0.01)  # torso height in hopper.xml
    assert (pos[:, 1, 2] < 0.2).all()  # the foot is near the floor
    _, _, _, _, info = env.step(np.zeros((2, 3)))
    assert info["body_pos"].shape == (2, 2, 3)


def test_fallback_to_gymnasium_for_other_ids():
    env = envs.make("Pendulum-v1", num_envs=2, seed=0)
    assert env.metadata["autoreset_mode"] == gym.vector.AutoresetMode.SAME_STEP
    obs, *_ = env.step(np.zeros((2, 1), dtype=np.float32))
    assert obs.shape == (2, 3)


# ---- bad input --------------------------------------------------------------------


def test_unknown_id_lists_the_fast_ones():
    with pytest.raises(ValueError, match="Hopper-v5"):
        envs.make("NoSuchEnv-v0")


@pytest.mark.parametrize("num_envs", [0, -1, 2.5])
def test_bad_num_envs(num_envs):
    with pytest.raises(ValueError, match="num_envs"):
        envs.make("Hopper-v5", num_envs=num_envs)


def test_bad_num_threads():
    with pytest.raises(ValueError, match="num_threads"):
        envs.make("Hopper-v5", num_envs=2, num_threads=0)


def test_wrong_action_shape():
    env = envs.make("Hopper-v5", num_envs=2)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"actions must have shape \(2, 3\), got \(2, 4\)"):
        env.step(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="actions must have shape"):
        env.step(np.zeros(6))


def test_nan_action():
    env = envs.make("Hopper-v5", num_envs=2)
    env.reset(seed=0)
    actions = np.zeros((2, 3))
    actions[1, 2] = np.nan
    with pytest.raises(ValueError, match="actions must be finite; row 1"):
        env.step(actions)


def test_non_numeric_action():
    env = envs.make("Hopper-v5", num_envs=1)
    env.reset(seed=0)
    with pytest.raises(TypeError, match="real array"):
        env.step(np.array([["a", "b", "c"]]))


def test_float32_actions_are_accepted_by_the_facade():
    env = envs.make("Hopper-v5", num_envs=2)
    env.reset(seed=0)
    obs, *_ = env.step(np.zeros((2, 3), dtype=np.float32))
    assert obs.dtype == np.float64


def test_core_refuses_wrong_dtype_and_layout():
    core = envs.make("Hopper-v5", num_envs=2).core
    obs = np.empty((2, core.nobs))
    with pytest.raises(TypeError, match="obs must have dtype float64, got float32"):
        core.reset(0, obs.astype(np.float32))
    with pytest.raises(ValueError, match="C-contiguous"):
        core.reset(0, np.empty((core.nobs, 2)).T)
    with pytest.raises(TypeError, match="numpy array"):
        core.reset(0, [[0.0] * core.nobs] * 2)
    out = dict(
        obs=obs,
        reward=np.empty(2),
        terminated=np.empty(2, bool),
        truncated=np.empty(2, bool),
        final_obs=np.empty_like(obs),
        diverged=np.empty(2, bool),
    )
    with pytest.raises(TypeError, match="actions must have dtype float64"):
        core.step(np.zeros((2, 3), np.float32), **out)
    out["terminated"] = np.empty(2, np.int8)
    with pytest.raises(TypeError, match="terminated must have dtype bool"):
        core.step(np.zeros((2, 3)), **out)
    readonly = np.empty(2)
    readonly.flags.writeable = False
    out["terminated"], out["reward"] = np.empty(2, bool), readonly
    with pytest.raises(ValueError, match="reward must be writeable"):
        core.step(np.zeros((2, 3)), **out)


def test_missing_xml(tmp_path):
    with pytest.raises(ValueError, match="cannot load MJCF .*missing.xml"):
        _core.BatchEnv(str(tmp_path / "missing.xml"), "Hopper-v5", nenv=1)


def test_invalid_xml(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<mujoco><worldbody><body></mujoco>")
    with pytest.raises(ValueError, match="cannot load MJCF .*bad.xml"):
        _core.BatchEnv(str(bad), "Hopper-v5", nenv=1)


def test_unknown_task_and_body():
    xml = str(envs.FAST_ENVS["Hopper-v5"].xml_path)
    with pytest.raises(ValueError, match="unknown task 'Nope'; known tasks: Hopper-v5"):
        _core.BatchEnv(xml, "Nope", nenv=1)
    with pytest.raises(ValueError, match="no body named 'hand'.*bodies: world, torso"):
        _core.BatchEnv(xml, "Hopper-v5", nenv=1, body_names=["hand"])


def test_model_the_task_cannot_read(tmp_path):
    xml = tmp_path / "passive.xml"
    xml.write_text("<mujoco><worldbody><body><freejoint/><geom size='0.1'/></body></worldbody></mujoco>")
    with pytest.raises(ValueError, match="has nq=7, nv=6, nu=0; its task expects nq=6, nv=6, nu=3"):
        _core.BatchEnv(str(xml), "Hopper-v5", nenv=1)


def test_mujoco_error_becomes_an_exception(tmp_path):
    """An arena too small for the physics makes MuJoCo call mju_error."""
    xml = envs.FAST_ENVS["Hopper-v5"].xml_path.read_text()
    small = tmp_path / "hopper.xml"
    small.write_text(xml.replace('<mujoco model="hopper">', '<mujoco model="hopper"><size memory="3K"/>'))
    core = _core.BatchEnv(str(small), "Hopper-v5", nenv=2, nthread=2)
    with pytest.raises(RuntimeError, match="MuJoCo error in simulation 0: mj_stackAlloc: out of memory"):
        core.reset(0, np.empty((2, core.nobs)))


def test_bad_core_sizes():
    xml = str(envs.FAST_ENVS["Hopper-v5"].xml_path)
    with pytest.raises(ValueError, match="nenv must be >= 1"):
        _core.BatchEnv(xml, "Hopper-v5", nenv=0)
    with pytest.raises(ValueError, match=r"nthread must be in \[1, 1024\]"):
        _core.BatchEnv(xml, "Hopper-v5", nenv=1, nthread=0)
    with pytest.raises(ValueError, match=r"nthread must be in \[1, 1024\]"):
        _core.BatchEnv(xml, "Hopper-v5", nenv=1, nthread=100_000)
    assert _core.BatchEnv(xml, "Hopper-v5", nenv=3, nthread=8).nthread == 3


def test_bad_state_input():
    env = envs.make("Hopper-v5", num_envs=2)
    qpos, qvel = env.get_state()
    with pytest.raises(ValueError, match=r"qpos must have shape \(2, 6\)"):
        env.set_state(qpos[:, :3], qvel)
    qpos[0, 0] = np.inf
    with pytest.raises(ValueError, match="qpos must be finite"):
        env.set_state(qpos, qvel)


def test_bad_seed():
    env = envs.make("Hopper-v5", num_envs=1)
    with pytest.raises(ValueError, match="seed"):
        env.reset(seed=-1)


def resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads /proc/self/statm")
def test_1024_humanoids_grow_the_process_by_under_50_mb():
    """The README's figure is 0.02 GB (one mjData per simulation took 0.23 GB): each
    simulation costs a state row and its share of the output buffers, about 10 KB."""
    warm = envs.make("Humanoid-v5", num_envs=1, num_threads=2)  # the model, libraries, first-use caches
    warm.reset(seed=0)
    warm.step(np.zeros((1, 17)))
    before = resident_bytes()
    env = envs.make("Humanoid-v5", num_envs=1024, num_threads=2)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(3):
        env.step(rng.uniform(-0.4, 0.4, (1024, 17)))
    grown = resident_bytes() - before
    assert grown < 50e6, f"1024 Humanoid-v5 simulations take {grown / 1e6:.0f} MB"
