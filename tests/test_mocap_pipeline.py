"""`train mocap`: the humanoid's whole path on the shipped walks, and model folders."""

import re

import pytest

from gail_fast import train
from gail_fast.runs import export_model, load_checkpoint, load_policy


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """`train mocap --quick` once, its printed report and its folder."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("mocap")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        train.main(["mocap", "--quick", "--out", str(out)])
    return out / "quick", printed.getvalue()


def test_quick_run_retargets_trains_and_reports(quick_run):
    root, printed = quick_run
    for name in ("walk.npz", "reference.npz", "run.npz", "gail/rollout.html", "gail/curves.png"):
        assert (root / name).is_file(), name
    state = load_checkpoint(root / "gail")
    assert state["global_step"] >= 100_000
    assert state["config"]["reward"] == "amp" and state["config"]["mode"] == "zv"
    assert state["config"]["num_trajectories"] == 4  # two clips and their mirror images
    assert state["config"]["start_fraction"] == 0.9  # most episodes start from recorded states
    assert "goals met:" in printed and ("[x] no falls" in printed or "[ ] no falls" in printed)
    assert "not pure imitation" not in printed  # no task term unless asked for
    for metric in ("speed_mps", "step_rate_hz", "frechet_z2_run"):
        assert metric in printed
    # the trained clips' own distance to the reference walk, beside the policy's
    assert re.search(r"\d\.\d{4}   \(the trained clips to the reference walk\)", printed)


def test_a_second_run_reuses_every_stage(quick_run, capsys):
    root, _ = quick_run
    clips = [root / name for name in ("walk.npz", "reference.npz", "run.npz")]
    stamps = [p.stat().st_mtime_ns for p in clips]
    steps = load_checkpoint(root / "gail")["global_step"]
    train.main(["mocap", "--quick", "--out", str(root.parent)])
    assert "retargeting" not in capsys.readouterr().out
    assert [p.stat().st_mtime_ns for p in clips] == stamps
    assert load_checkpoint(root / "gail")["global_step"] == steps  # finished: resumed with nothing left to do


def test_model_folder_loads_like_its_run(quick_run, tmp_path):
    root, _ = quick_run
    model = export_model(root / "gail", tmp_path / "model")
    size = sum(p.stat().st_size for p in model.rglob("*") if p.is_file())
    assert size < 2_000_000
    state = load_checkpoint(model)
    assert "value" not in state and "disc_optimizer" not in state and "discriminator" in state
    policy, env_id, _ = load_policy(model, check_env=True)
    original, _, _ = load_policy(root / "gail")
    assert env_id == "Humanoid21Imitation-v0"
    for (name, a), b in zip(policy.state_dict().items(), original.state_dict().values()):
        assert a.equal(b), name


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--clips", "99_99"], "no shipped CMU clip '99_99'"),
        (["--clips", "02_01", "07_05"], "are of different subjects"),
        (["--mode", "sa"], "mode must be one of ('z', 'zz', 'zv', 'zzr', 'zvf', 'zvfs')"),
        (["--step-threads", "0"], "step_threads must be >= 1, got 0"),
        (["--start-fraction", "1.5"], "start_fraction must be a finite number >= 0.0 and <= 1.0, got 1.5"),
        (["--fvp-subsample", "0"], "fvp_subsample must be a finite number > 0.0 and <= 1.0, got 0.0"),
        (["--vf-epochs", "0"], "vf_epochs must be a finite number >= 1, got 0"),
        (["--task-weight", "2"], "task_weight must be a finite number >= 0.0 and <= 1.0, got 2.0"),
        (["--task-start", "-1"], "task_start must be a finite number >= 0, got -1"),
        (["--grad-penalty", "-1"], "grad_penalty must be a finite number >= 0.0, got -1.0"),
        (["--disc-steps", "0"], "disc_steps must be >= 1, got 0"),
        (["--kl-anneal-final", "0"], "kl_anneal_final must be a finite number > 0.0 and <= 1.0, got 0.0"),
        (["--kl-anneal-start", "200000"], "the trust region would never shrink"),
        # the quick run's 100k steps end before the term would start
        (["--task-speed", "1.4", "--task-start", "200000"], "the task term would never be paid"),
    ],
)
def test_bad_settings(tmp_path, capsys, flags, message):
    with pytest.raises(SystemExit) as e:
        train.main(["mocap", "--quick", *flags, "--out", str(tmp_path)])
    assert e.value.code == 2 and message in capsys.readouterr().err


def test_the_task_term_reaches_the_gail_settings(tmp_path):
    from gail_fast.mocap_pipeline import MocapConfig, gail_config

    cfg = gail_config(MocapConfig(task_speed=1.4, task_weight=0.2, task_start=20_000_000), tmp_path / "walk.npz")
    assert (cfg.task_speed, cfg.task_weight, cfg.task_start) == (1.4, 0.2, 20_000_000)
    assert gail_config(MocapConfig(), tmp_path / "walk.npz").task_speed == 0  # pure imitation by default


def test_the_discriminator_settings_reach_gail(tmp_path):
    from gail_fast.mocap_pipeline import MocapConfig, gail_config

    cfg = gail_config(MocapConfig(grad_penalty=5.0, disc_steps=1), tmp_path / "walk.npz")
    assert (cfg.grad_penalty, cfg.disc_steps) == (5.0, 1)
    default = gail_config(MocapConfig(), tmp_path / "walk.npz")
    assert (default.grad_penalty, default.disc_steps) == (10.0, 2)  # the recipe's


def test_the_trust_region_anneal_reaches_gail(tmp_path):
    from gail_fast.mocap_pipeline import MocapConfig, gail_config

    cfg = gail_config(MocapConfig(kl_anneal_start=20_000_000, kl_anneal_final=0.2), tmp_path / "walk.npz")
    assert (cfg.kl_anneal_start, cfg.kl_anneal_final) == (20_000_000, 0.2)
    assert gail_config(MocapConfig(), tmp_path / "walk.npz").kl_anneal_start == 0  # off by default
