"""The fast environments: what each one is, and the errors for the ones that are not."""

import re
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import gail_fast
from gail_fast import _core, agent, envs, humanoid

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
    assert {e: s.gymnasium_id for e, s in envs.FAST_ENVS.items() if s.gymnasium_id} == {
        e: e for e in FAST_IDS if not e.startswith("Humanoid21")
    }


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


def test_the_python_registry_is_the_extensions():
    rows = _core.environments()
    assert [row["id"] for row in rows] == list(envs.FAST_ENVS)
    for row in rows:
        spec = envs.FAST_ENVS[row["id"]]
        assert (spec.xml_path.name, spec.task, spec.max_episode_steps) == (
            row["model"],
            row["task"],
            row["max_episode_steps"],
        )
        assert (row["id"] in envs.POSE_FEATURE_ENVS) == spec.pose_features == row["pose_features"]
        assert spec.gymnasium_id is None or spec.gymnasium_id in gym.registry
    assert set(_core.task_names()) == {row["task"] for row in rows}


@pytest.mark.parametrize("env_id", FAST_IDS)
def test_each_row_builds_its_environment(env_id):
    spec = envs.FAST_ENVS[env_id]
    env = envs.make(env_id, num_threads=1)
    assert env.core.max_episode_steps == spec.max_episode_steps
    obs, _ = env.reset(seed=0)
    if spec.pose_features:
        # The observation's tail is z_t of the state it was observed in.
        qpos, _ = env.get_state()
        z = humanoid.Kinematics(spec.xml_path).features(qpos)
        np.testing.assert_allclose(obs[:, -_core.POSE_FEATURES :], z, rtol=0, atol=1e-9)
    env.close()


def test_the_registries_must_list_the_same_ids():
    rows = _core.environments()
    facts = dict(envs._PYTHON_FACTS)
    del facts["Ant-v5"]
    facts["Swimmer-v5"] = envs._PythonFacts("Swimmer-v5")
    message = "only in the extension ['Ant-v5'], only in envs.py ['Swimmer-v5']; rebuild the extension"
    with pytest.raises(ImportError, match=re.escape(message)):
        envs._registry(rows, facts)
    with pytest.raises(ImportError, match=re.escape("lists fast environments ['Hopper-v5'] more than once")):
        envs._registry(rows + rows[:1], envs._PYTHON_FACTS)
    with pytest.raises(ImportError, match=re.escape("names model assets ['elsewhere']")):
        envs._registry([{**rows[0], "assets": "elsewhere"}, *rows[1:]], envs._PYTHON_FACTS)
