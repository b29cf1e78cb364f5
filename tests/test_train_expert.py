"""End to end: train an expert a few iterations, resume (after kill -9 too), evaluate,
record demonstrations; and the clear errors on bad runs, checkpoints and datasets."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from gail_fast import demos, evaluate, train
from gail_fast.gail import GAILConfig
from gail_fast.runs import load_checkpoint, load_policy
from gail_fast.train import ExpertConfig

SMALL = ["--env", "Hopper-v5", "--num-envs", "4", "--nstep", "64", "--hidden", "16", "16", "--seed", "1"]


def progress(run):
    with open(run / "progress.csv") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "expert"
    train.main(["expert", *SMALL, "--total-steps", "1024", "--out", str(run)])
    return run


def test_run_folder_contents(trained):
    config = json.loads((trained / "config.json").read_text())
    assert config["env"] == "Hopper-v5" and config["num_envs"] == 4 and config["trpo"]["max_kl"] == 0.01
    rows = progress(trained)
    assert [int(float(r["iteration"])) for r in rows] == [1, 2, 3, 4]
    assert float(rows[-1]["global_step"]) == 1024
    assert {"charts/episodic_return", "charts/SPS", "losses/kl", "losses/entropy", "losses/value_loss"} <= set(rows[0])
    assert all(float(r["losses/kl"]) <= 0.01 + 1e-6 for r in rows)
    assert list(trained.glob("events.out.tfevents.*"))
    assert (trained / "curves.png").stat().st_size > 1000
    state = load_checkpoint(trained)
    assert state["iteration"] == 4 and state["global_step"] == 1024


def test_resume_continues_where_it_stopped(trained, tmp_path):
    import shutil

    run = tmp_path / "resumed"
    shutil.copytree(trained, run)
    train.main(["expert", "--resume", str(run), "--total-steps", "2048"])
    rows = progress(run)
    assert [int(float(r["iteration"])) for r in rows] == list(range(1, 9))
    assert load_checkpoint(run)["global_step"] == 2048


def test_resume_after_kill_9(tmp_path):
    run = tmp_path / "killed"
    cmd = [sys.executable, "-m", "gail_fast.train", "expert", *SMALL, "--total-steps", "100000", "--out", str(run)]
    proc = subprocess.Popen(cmd, env={**os.environ, "CI": "1"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not (run / "progress.csv").exists() or len(progress(run)) < 3:
        time.sleep(0.2)
        assert time.time() < deadline, "training made no progress"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = load_checkpoint(run)["iteration"]
    assert done >= 3
    train.main(["expert", "--resume", str(run), "--total-steps", str(256 * (done + 2))])
    rows = progress(run)
    assert [int(float(r["iteration"])) for r in rows] == list(range(1, done + 3))


def test_evaluate_and_record(trained, tmp_path, capsys):
    policy, env_id, _ = load_policy(trained)
    result = evaluate.evaluate_policy(policy, env_id, episodes=3)
    assert result.episodes == 3 and len(result.returns) == 3
    assert result.mean_return == pytest.approx(np.mean(result.returns))
    evaluate.main([str(trained), "--episodes", "2", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert out["env_id"] == "Hopper-v5" and len(out["returns"]) == 2

    file = tmp_path / "demos.npz"
    demos.main(["record", str(trained), "--episodes", "3", "--out", str(file)])
    data = demos.Demonstrations.load(file, env_id="Hopper-v5")
    assert data.num_episodes == 3
    assert data.obs.shape == (data.episode_lengths.sum() + 3, 11)
    assert data.actions.shape == (data.episode_lengths.sum(), 3)
    assert (np.abs(data.actions) <= 1).all()
    # returns are the sums of the recorded rewards, episode by episode
    np.testing.assert_allclose(
        data.returns, [r.sum() for r in np.split(data.rewards, np.cumsum(data.episode_lengths)[:-1])]
    )
    # every episode ends by the task's rules: fell over, or hit the time limit
    assert (data.terminated | data.truncated).all()
    demos.main(["info", str(file)])
    assert "episodes:  3" in capsys.readouterr().out


def test_state_only_demonstrations_round_trip(tmp_path):
    d = demos.Demonstrations(
        "Hopper-v5",
        "test",
        np.array([2, 3]),
        np.random.randn(7, 11),
        np.array([True, False]),
        np.array([False, True]),
        features=np.random.randn(7, 5),
    )
    d.save(tmp_path / "s.npz")
    back = demos.Demonstrations.load(tmp_path / "s.npz")
    assert back.actions is None and back.rewards is None and back.returns is None
    np.testing.assert_array_equal(back.features, d.features)
    s, s_next, a = back.transitions()
    np.testing.assert_array_equal(s, d.obs[[0, 1, 3, 4, 5]])
    np.testing.assert_array_equal(s_next, d.obs[[1, 2, 4, 5, 6]])
    assert back.take(1).num_episodes == 1


# ---- bad input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "flag,value", [("--nstep", "0"), ("--num-envs", "0"), ("--total-steps", "0"), ("--hidden", "0")]
)
def test_bad_training_settings(tmp_path, capsys, flag, value):
    with pytest.raises(SystemExit) as e:
        train.main(["expert", flag, value, "--out", str(tmp_path / "run")])
    assert e.value.code == 2
    assert f"{flag[2:].replace('-', '_')} must be" in capsys.readouterr().err


def test_policy_size_defaults_per_environment():
    assert ExpertConfig(env="Hopper-v5").hidden == (64, 64)
    assert GAILConfig(env="Humanoid21Imitation-v0").hidden == (150, 150, 150)
    assert GAILConfig(env="Humanoid21Imitation-v0", hidden=(32,)).hidden == (32,)


def test_resume_of_a_missing_run(tmp_path):
    with pytest.raises(SystemExit):
        train.main(["expert", "--resume", str(tmp_path / "nothing")])


def test_corrupt_and_foreign_checkpoints(tmp_path):
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="corrupt.pt is not a gail_fast checkpoint"):
        load_checkpoint(corrupt)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(ValueError, match="foreign.pt is not a gail_fast checkpoint"):
        load_checkpoint(foreign)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        load_checkpoint(tmp_path / "missing")
    broken = tmp_path / "broken.pt"
    torch.save({"format": "gail_fast.checkpoint", "env_id": "Hopper-v5"}, broken)
    with pytest.raises(ValueError, match="holds no usable policy"):
        load_policy(broken)


def test_evaluate_cli_reports_bad_paths(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        evaluate.main([str(tmp_path / "missing")])
    assert e.value.code == 2
    assert "no checkpoint" in capsys.readouterr().err


def test_bad_datasets(tmp_path):
    with pytest.raises(FileNotFoundError, match="no demonstrations file"):
        demos.Demonstrations.load(tmp_path / "missing.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"garbage")
    with pytest.raises(ValueError, match="junk.npz is not a readable"):
        demos.Demonstrations.load(junk)
    other = tmp_path / "other.npz"
    np.savez(other, x=np.zeros(3))
    with pytest.raises(ValueError, match="not a gail_fast demonstrations file"):
        demos.Demonstrations.load(other)
    good = demos.Demonstrations("Hopper-v5", "t", np.array([2]), np.zeros((3, 11)), np.array([True]), np.array([False]))
    good.save(tmp_path / "good.npz")
    with pytest.raises(ValueError, match="for Hopper-v5, not Walker2d-v5"):
        demos.Demonstrations.load(tmp_path / "good.npz", env_id="Walker2d-v5")
    with pytest.raises(ValueError, match="obs has 4 rows"):
        demos.Demonstrations("Hopper-v5", "t", np.array([2]), np.zeros((4, 11)), np.array([True]), np.array([False]))
    with pytest.raises(ValueError, match="at least one episode"):
        demos.Demonstrations(
            "Hopper-v5", "t", np.zeros(0, int), np.zeros((0, 11)), np.zeros(0, bool), np.zeros(0, bool)
        )
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, format=np.array("gail_fast.demos"), version=np.array(1), obs=np.array([object()], dtype=object))
    with pytest.raises(ValueError, match="pickled.npz is not a readable"):
        demos.Demonstrations.load(pickled)


def test_pipeline_end_to_end(tmp_path, capsys):
    """The main command's flow, tiny: expert, demonstrations, BC, GAIL, the table; run
    again, it reuses what is there."""
    train.pipeline(tmp_path, expert_steps=2048, gail_steps=2048)
    out = capsys.readouterr().out
    for name in ("expert", "BC", "GAIL"):
        assert f"\n{name}" in out
    assert demos.Demonstrations.load(tmp_path / "demos.npz").num_episodes == 25
    mtime = (tmp_path / "demos.npz").stat().st_mtime
    steps = load_checkpoint(tmp_path / "expert")["global_step"]
    train.pipeline(tmp_path, expert_steps=2048, gail_steps=2048)
    assert (tmp_path / "demos.npz").stat().st_mtime == mtime
    assert load_checkpoint(tmp_path / "expert")["global_step"] == steps
