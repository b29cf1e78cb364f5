"""The fast environments: what each one is, and the errors for the ones that are not."""

import re
from pathlib import Path

import gymnasium as gym
import pytest

import gail_fast
from gail_fast import _core, agent, envs

FAST_IDS = [
    "Ant-v5",
    "HalfCheetah-v5",
    "Hopper-v5",
    "Humanoid-v5",
    "Humanoid21Imitation-v0",
    "Humanoid21ImitationTorque-v0",
    "Walker2d-v5",
]


def test_the_fast_environments():
    assert sorted(envs.FAST_ENVS) == FAST_IDS
    gymnasium = Path(gym.__file__).parent / "envs" / "mujoco" / "assets"
    ours = Path(gail_fast.__file__).parent / "assets"
    assert {env_id: spec.xml_path for env_id, spec in envs.FAST_ENVS.items()} == {
        "Hopper-v5": gymnasium / "hopper.xml",
        "Walker2d-v5": gymnasium / "walker2d_v5.xml",
        "HalfCheetah-v5": gymnasium / "half_cheetah.xml",
        "Ant-v5": gymnasium / "ant.xml",
        "Humanoid-v5": gymnasium / "humanoid.xml",
        "Humanoid21Imitation-v0": ours / "humanoid21.xml",
        "Humanoid21ImitationTorque-v0": ours / "humanoid21_torque.xml",
    }
    for env_id, spec in envs.FAST_ENVS.items():
        assert spec.xml_path.is_file(), env_id
        assert spec.max_episode_steps == 1000, env_id
        humanoid21 = env_id.startswith("Humanoid21")
        assert spec.task == ("Humanoid21Imitation" if humanoid21 else env_id)
        assert agent.default_hidden(env_id) == ((150, 150, 150) if humanoid21 else (64, 64))
    assert envs.POSE_FEATURE_ENVS == {"Humanoid21Imitation-v0", "Humanoid21ImitationTorque-v0"}
    assert agent.default_hidden("Swimmer-v5") == (64, 64)
    assert _core.task_names() == [
        "Hopper-v5",
        "Walker2d-v5",
        "HalfCheetah-v5",
        "Ant-v5",
        "Humanoid-v5",
        "Humanoid21Imitation",
    ]


def test_unknown_ids_are_named_with_the_known_ones():
    fast = str(FAST_IDS)
    with pytest.raises(ValueError) as e:
        envs.make("NoSuchEnv-v0")
    assert (
        str(e.value) == f"unknown environment id 'NoSuchEnv-v0'; fast ids: {fast}, or any id registered with Gymnasium"
    )
    with pytest.raises(ValueError) as e:
        envs.BatchVectorEnv("NoSuchEnv-v0", 1)
    assert str(e.value) == f"'NoSuchEnv-v0' is not a fast environment; fast ids: {fast}"
    xml = str(envs.FAST_ENVS["Hopper-v5"].xml_path)
    known = "Hopper-v5, Walker2d-v5, HalfCheetah-v5, Ant-v5, Humanoid-v5, Humanoid21Imitation"
    with pytest.raises(ValueError, match=re.escape(f"unknown task 'Nope'; known tasks: {known}")):
        _core.BatchEnv(xml, "Nope", nenv=1)
