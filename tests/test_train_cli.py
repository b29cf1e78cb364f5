"""The training command line and the scaffold the trainers share: the pipeline as the
default command, resuming with flags, one checkpoint layout, trainers taking a collector."""

import csv
import dataclasses
import shutil

import numpy as np
import pytest

from gail_fast import envs, pipeline, train
from gail_fast.bc import BCConfig
from gail_fast.evaluate import Evaluation
from gail_fast.expert import ExpertConfig, train_expert
from gail_fast.gail import GAILConfig
from gail_fast.rollout import RolloutCollector
from gail_fast.runs import load_checkpoint

SMALL = ["--env", "Hopper-v5", "--num-envs", "4", "--nstep", "64", "--hidden", "16", "16", "--seed", "1"]


def rows(run):
    with open(run / "progress.csv") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def expert_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("cli") / "expert"
    train.main(["expert", *SMALL, "--total-steps", "512", "--out", str(run)])
    return run


def test_help_lists_the_commands_and_the_pipelines_flags(capsys):
    with pytest.raises(SystemExit) as e:
        train.main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for text in ("pipeline", "expert", "gail", "bc", "--quick", "--seed", "--out"):
        assert text in out, text


@pytest.mark.parametrize(
    "argv,quick,out",
    [([], False, "runs/pipeline"), (["--quick", "--out", "x"], True, "x"), (["pipeline"], False, None)],
)
def test_the_pipeline_is_the_default_command(monkeypatch, argv, quick, out):
    seen = []
    monkeypatch.setattr(train, "run_pipeline", lambda cfg: seen.append(cfg) or cfg.out)
    train.main(argv)
    assert seen[0].quick is quick
    assert seen[0].out == (out or "runs/pipeline")


def test_the_pipeline_rejects_flags_it_does_not_have(capsys):
    with pytest.raises(SystemExit) as e:
        train.main(["--quick", "--total-steps", "5"])
    assert e.value.code == 2
    assert "unrecognized arguments: --total-steps" in capsys.readouterr().err


def test_bc_and_the_warm_start_clone_alike():
    assert BCConfig().bc_steps == GAILConfig().bc_steps


@pytest.mark.parametrize(
    "flags,message",
    [
        (["--hidden", "32"], "cannot change --hidden 32 (the run has 16 16)"),
        (["--env", "Walker2d-v5"], "cannot change --env Walker2d-v5 (the run has Hopper-v5)"),
        (["--max-kl", "0.02", "--seed", "3"], "cannot change --seed 3 (the run has 1); --max-kl 0.02"),
    ],
)
def test_resume_rejects_flags_that_cannot_change(expert_run, tmp_path, capsys, flags, message):
    run = tmp_path / "run"
    shutil.copytree(expert_run, run)
    with pytest.raises(SystemExit) as e:
        train.main(["expert", "--resume", str(run), *flags])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --resume {run}: ") and err.count("\n") == 1
    for part in message.split("; "):
        assert part in err
    assert (
        "only --checkpoint-every, --num-threads, --plot-every, --ray-address, --step-threads, --torch-threads, --total-steps, --workers may change"
        in err
    )
    assert load_checkpoint(run)["global_step"] == 512  # nothing ran


def test_resume_applies_the_flags_that_may_change(expert_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(expert_run, run)
    # A flag repeating the run's own value is no change.
    train.main(["expert", "--resume", str(run), "--total-steps", "768", "--num-threads", "1", "--hidden", "16", "16"])
    state = load_checkpoint(run)
    assert state["global_step"] == 768 and state["config"]["num_threads"] == 1
    assert [int(float(r["iteration"])) for r in rows(run)] == [1, 2, 3]


def test_resume_takes_no_out(expert_run, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        train.main(["expert", "--resume", str(expert_run), "--out", str(tmp_path / "elsewhere")])
    assert e.value.code == 2
    assert "takes no --out" in capsys.readouterr().err


def test_a_trainer_resumed_with_another_configuration_refuses(expert_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(expert_run, run)
    cfg = ExpertConfig(env="Hopper-v5", num_envs=4, nstep=64, hidden=(16, 16), seed=2, total_steps=1024)
    with pytest.raises(ValueError, match="cannot change --seed 2 \\(the run has 1\\)"):
        train_expert(cfg, run, resume=True)


def test_checkpoints_share_one_layout(expert_run, tmp_path):
    keys = {"format", "algo", "env_id", "config", "iteration", "global_step", "policy"}
    expert = load_checkpoint(expert_run)
    assert keys <= set(expert) and expert["algo"] == "expert"
    assert set(expert["policy"]) == {"arch", "state"}
    pipeline_bc = tmp_path / "bc"
    from gail_fast.demos import record

    record(expert_run, episodes=2).save(tmp_path / "d.npz")
    train.main(
        ["bc", "--demos", str(tmp_path / "d.npz"), "--num-trajectories", "2", "--bc-steps", "10"]
        + ["--out", str(pipeline_bc)]
    )
    bc = load_checkpoint(pipeline_bc)
    assert keys <= set(bc) and bc["algo"] == "bc" and set(bc["policy"]) == {"arch", "state"}


class CountingCollector(RolloutCollector):
    """A collector of our own: the trainer must use it, log its metrics and close it."""

    def __init__(self, env):
        super().__init__(env)
        self.calls, self.closed, self.seeds = 0, False, []

    def reset(self, seed):
        self.seeds.append(seed)
        super().reset(seed)

    def collect(self, policy, nstep, deterministic=False):
        self.calls += 1
        batch = super().collect(policy, nstep, deterministic)
        batch.metrics["charts/test_metric"] = float(self.calls)
        return batch

    def close(self):
        self.closed = True
        super().close()


def test_a_trainer_takes_any_collector(tmp_path):
    cfg = ExpertConfig(env="Hopper-v5", num_envs=2, nstep=32, hidden=(8,), seed=5, total_steps=128)
    collector = CountingCollector(envs.make("Hopper-v5", num_envs=2))
    train_expert(cfg, tmp_path / "run", collector=collector)
    assert collector.calls == 2 and collector.closed and collector.seeds == [5]
    assert [float(r["charts/test_metric"]) for r in rows(tmp_path / "run")] == [1.0, 2.0]
    # resumed, it continues the episodes the checkpoint saved: no reset, no new seeds
    collector = CountingCollector(envs.make("Hopper-v5", num_envs=2))
    train_expert(dataclasses.replace(cfg, total_steps=192), tmp_path / "run", True, collector=collector)
    assert collector.seeds == [] and collector.calls == 1


def evaluation(returns, lengths):
    return Evaluation(
        "Hopper-v5",
        len(returns),
        float(np.mean(returns)),
        float(np.std(returns)),
        float(np.mean(lengths)),
        float(np.std(lengths)),
        returns,
        lengths,
    )


def test_the_table_says_when_the_expert_falls_and_gail_outlasts_it():
    runs = {"expert": "e", "BC": "b", "GAIL": "g"}
    fell = {
        "expert": evaluation([684.0, 685.0], [212, 213]),
        "BC": evaluation([682.0, 683.0], [211, 212]),
        "GAIL": evaluation([2275.0, 2276.0], [1000, 1000]),
    }
    text = pipeline.format_table(fell, runs, 300_000)
    assert "The expert falls after 212 of 1000 steps: 300000 steps of TRPO are too few" in text
    assert "GAIL stays up longer than the expert imitated" in text
    assert "2.28" in text  # GAIL's reward per step, beside the expert's 3.22
    stood = {name: evaluation([3600.0, 3610.0], [1000, 1000]) for name in runs}
    text = pipeline.format_table(stood, runs, 3_000_000)
    assert "falls" not in text and "longer" not in text


def test_the_command_line_sizes_the_networks_for_the_environment_given(monkeypatch):
    """--env Humanoid21Imitation-v0 without --hidden gets the humanoid's 3 x 150, not the
    2 x 64 of the default environment (resolved before the flags were read, once)."""
    seen = []
    monkeypatch.setattr(train, "train_gail", lambda cfg, out, resume: seen.append(cfg) or out)
    monkeypatch.setattr(train, "train_expert", lambda cfg, out, resume: seen.append(cfg) or out)
    train.main(["gail", "--env", "Humanoid21Imitation-v0", "--demos", "walk.npz", "--out", "x"])
    train.main(["expert", "--out", "y"])
    train.main(["expert", "--env", "Humanoid21Imitation-v0", "--hidden", "32", "--out", "z"])
    assert [cfg.hidden for cfg in seen] == [(150, 150, 150), (64, 64), (32,)]
