"""Issue 14 in the trainers' files: every configuration checked before anything is
written, every command line's error one line with exit code 2, one writer per run
folder, stale temporary files cleaned."""

import os

import pytest

from gail_fast import evaluate, train
from gail_fast.runs import Run


@pytest.fixture(autouse=True)
def quiet(monkeypatch):
    monkeypatch.setenv("CI", "1")  # no progress bar beside the error


SMALL = ["--env", "Hopper-v5", "--num-envs", "2", "--nstep", "8", "--hidden", "8", "--total-steps", "16"]


def fails(capsys, argv):
    """Runs the command line; returns its one-line error (exit code 2)."""
    with pytest.raises(SystemExit) as e:
        train.main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize(
    "flags,message",
    [
        (["--seed", "-1"], "seed must be >= 0, got -1"),
        (["--max-kl", "-1"], "max_kl must be a finite number > 0.0, got -1.0"),
        (["--max-kl", "nan"], "max_kl must be a finite number > 0.0, got nan"),
        (["--init-log-std", "inf"], "init_log_std must be a finite number, got inf"),
        (["--gamma", "2"], "gamma must be a finite number > 0.0 and <= 1.0, got 2.0"),
        (["--cg-iters", "0"], "cg_iters must be a finite number >= 1, got 0"),
        (["--fvp-subsample", "0"], "fvp_subsample must be a finite number > 0.0 and <= 1.0, got 0.0"),
        (["--vf-minibatches", "0"], "vf_minibatches must be a finite number >= 1, got 0"),
        (["--checkpoint-every", "0"], "checkpoint_every must be >= 1, got 0"),
        (["--step-threads", "0"], "step_threads must be >= 1, got 0"),
        (["--workers", "3"], "workers must be between 0 and num_envs (2), got 3"),
        (["--workers", "-1"], "workers must be between 0 and num_envs (2), got -1"),
        (["--ray-address", "10.0.0.1:6379"], "--ray-address 10.0.0.1:6379 needs --workers"),
    ],
)
def test_bad_expert_settings_write_nothing(tmp_path, capsys, flags, message):
    out = tmp_path / "run"
    assert message in fails(capsys, ["expert", *SMALL, *flags, "--out", str(out)])
    assert not out.exists()


@pytest.mark.parametrize(
    "flags,message",
    [
        (["--bc-steps", "0"], "bc_steps must be >= 1, got 0"),
        (["--hidden", "0"], "hidden must be one or more positive layer sizes, got (0,)"),
        (["--seed", "-1"], "seed must be >= 0, got -1"),
    ],
)
def test_bad_bc_settings_write_nothing(tmp_path, capsys, flags, message):
    out = tmp_path / "run"
    assert message in fails(capsys, ["bc", "--demos", "x.npz", *flags, "--out", str(out)])
    assert not out.exists()


def test_an_address_where_no_ray_answers(tmp_path, capsys):
    """Ray itself would wait minutes for it: a one-line error at once, nothing written."""
    pytest.importorskip("ray")
    out = tmp_path / "run"
    for address, message in [
        ("127.0.0.1:1", "--ray-address 127.0.0.1:1: nothing answers there"),
        ("headnode", "--ray-address headnode: expected HOST:PORT"),
    ]:
        assert message in fails(
            capsys, ["expert", *SMALL, "--workers", "1", "--ray-address", address, "--out", str(out)]
        )
    assert not out.exists()


def test_bad_pipeline_settings(capsys):
    assert "workers must be between 0 and num_envs (16), got 17" in fails(capsys, ["--quick", "--workers", "17"])
    assert "--ray-address auto needs --workers" in fails(capsys, ["--ray-address", "auto"])


def test_bad_gail_settings(tmp_path, capsys):
    out = tmp_path / "run"
    for flags, message in [
        (["--disc-lr", "0"], "disc_lr must be a finite number > 0.0, got 0.0"),
        (["--grad-penalty", "-1"], "grad_penalty must be a finite number >= 0.0, got -1.0"),
        (["--bc-steps", "0"], "bc_steps must be a finite number >= 1, got 0"),
    ]:
        assert message in fails(capsys, ["gail", *SMALL, "--demos", "x.npz", *flags, "--out", str(out)])
    assert not out.exists()


def test_discrete_actions_are_refused(tmp_path, capsys):
    out = tmp_path / "run"
    err = fails(capsys, ["expert", "--env", "CartPole-v1", "--num-envs", "2", "--out", str(out)])
    assert "CartPole-v1 has Discrete actions; the Gaussian policy needs continuous (Box) ones" in err
    assert not out.exists()


def test_out_naming_a_file(tmp_path, capsys):
    file = tmp_path / "file"
    file.write_text("mine")
    assert "is a file; a run folder is a directory" in fails(capsys, ["expert", *SMALL, "--out", str(file)])
    assert file.read_text() == "mine"


def test_evaluate_rejects_zero_episodes(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        evaluate.main([str(tmp_path), "--episodes", "0"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err == "error: --episodes must be >= 1, got 0\n"


def test_one_writer_per_run_folder(tmp_path, capsys):
    run = Run(tmp_path / "run", {"algo": "expert"})
    try:
        with pytest.raises(ValueError, match="is being written by another process"):
            Run(tmp_path / "run", {"algo": "expert"})
        # the command line says so in one line, and leaves the run alone
        assert "is being written by another process" in fails(capsys, ["expert", *SMALL, "--out", str(run.path)])
    finally:
        run.close()
    Run(tmp_path / "run", {"algo": "expert"}).close()  # free again once closed


def test_stale_temporary_files_are_cleaned(tmp_path):
    train.main(["expert", *SMALL, "--out", str(tmp_path / "run")])
    stale = [tmp_path / "run" / "checkpoints" / "latest.pt.abc123.tmp", tmp_path / "run" / "progress.csv.x.tmp"]
    for f in stale:
        f.write_bytes(b"torn")
    train.main(["expert", "--resume", str(tmp_path / "run"), "--total-steps", "32"])
    assert not any(f.exists() for f in stale)
    assert not [f for f in os.listdir(tmp_path / "run" / "checkpoints") if f.endswith(".tmp")]
