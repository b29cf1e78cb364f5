"""The iteration scaffold: seeded runs reproduce themselves with the next rollout running
beside the update; checkpoints every N iterations with progress.csv never ahead of them
and never behind after a kill; the closed-form Fisher-vector product."""

import csv
import dataclasses

import numpy as np
import pytest
import torch

from gail_fast import envs, runs
from gail_fast.expert import ExpertConfig, train_expert
from gail_fast.gail import GAILConfig, train_gail
from gail_fast.nets import GaussianPolicy
from gail_fast.rollout import RolloutCollector
from gail_fast.runs import load_checkpoint
from gail_fast.trpo import GaussianFisher, fisher_vector_product

SMALL = ExpertConfig(env="Hopper-v5", num_envs=4, nstep=32, hidden=(16, 16), seed=3, total_steps=640)


def rows(run):
    with open(run / "progress.csv") as f:
        return list(csv.DictReader(f))


def learnt(run):
    """What a run learnt and logged, without its timings."""
    state = load_checkpoint(run)
    tensors = {**state["policy"]["state"], **state["value"]}
    logged = [{k: v for k, v in r.items() if "SPS" not in k} for r in rows(run)]
    return tensors, logged


def same(a, b):
    assert a[1] == b[1]
    assert a[0].keys() == b[0].keys()
    for k in a[0]:
        torch.testing.assert_close(a[0][k], b[0][k], rtol=0, atol=0)


def test_a_seeded_expert_run_reproduces_itself(tmp_path):
    for name in ("a", "b"):
        train_expert(SMALL, tmp_path / name)
    same(learnt(tmp_path / "a"), learnt(tmp_path / "b"))
    assert len(rows(tmp_path / "a")) == 5


@pytest.mark.parametrize("mode", ["sa", "ss"])
def test_a_seeded_gail_run_reproduces_itself(tmp_path, hopper_demos, mode):
    cfg = GAILConfig(
        **{f.name: getattr(SMALL, f.name) for f in dataclasses.fields(ExpertConfig)},
        demos=str(hopper_demos),
        num_trajectories=2,
        mode=mode,
        grad_penalty=1.0,
        disc_steps=2,
    )
    for name in ("a", "b"):
        train_gail(cfg, tmp_path / name)
    same(learnt(tmp_path / "a"), learnt(tmp_path / "b"))
    da, db = (load_checkpoint(tmp_path / n)["discriminator"] for n in "ab")
    for k in da:
        torch.testing.assert_close(da[k], db[k], rtol=0, atol=0)


def test_the_policy_step_alone_runs_on_step_threads(tmp_path, monkeypatch):
    """The policy's step, which nothing runs beside, on `step_threads`; the value fit,
    beside the next rollout, on `torch_threads`; and torch as it was after the run."""
    from gail_fast import expert, trpo

    seen = {"step": set(), "value": set()}

    def recorded(name, fn):
        return lambda *a, **k: seen[name].add(torch.get_num_threads()) or fn(*a, **k)

    monkeypatch.setattr(expert, "policy_step", recorded("step", trpo.policy_step))
    monkeypatch.setattr(expert, "fit_value", recorded("value", trpo.fit_value))
    train_expert(dataclasses.replace(SMALL, step_threads=3, torch_threads=1, total_steps=128 * 3), tmp_path / "run")
    assert seen == {"step": {3}, "value": {1}}
    assert torch.get_num_threads() == 1


def test_checkpoints_every_n_iterations_and_at_the_end(tmp_path, monkeypatch):
    saved = []
    real = runs.Run.save
    monkeypatch.setattr(
        runs.Run, "save", lambda self, state=None: saved.append(state["iteration"]) or real(self, state)
    )
    train_expert(dataclasses.replace(SMALL, checkpoint_every=6, total_steps=128 * 8), tmp_path / "run")
    assert saved == [6, 8]
    assert [int(float(r["iteration"])) for r in rows(tmp_path / "run")] == list(range(1, 9))


def test_progress_never_runs_ahead_of_the_checkpoint(tmp_path, monkeypatch):
    """Killed after iteration 5 of checkpoints every 2: the file holds 1-4, as the checkpoint."""
    cfg = dataclasses.replace(SMALL, checkpoint_every=2, total_steps=128 * 8)
    real = runs.Run.log

    def log(self, iteration, *args):
        if iteration == 6:
            raise KeyboardInterrupt
        real(self, iteration, *args)

    monkeypatch.setattr(runs.Run, "log", log)
    with pytest.raises(KeyboardInterrupt):
        train_expert(cfg, tmp_path / "run")
    assert load_checkpoint(tmp_path / "run")["iteration"] == 4
    assert [int(float(r["iteration"])) for r in rows(tmp_path / "run")] == [1, 2, 3, 4]
    monkeypatch.setattr(runs.Run, "log", real)
    train_expert(cfg, tmp_path / "run", resume=True)
    assert [int(float(r["iteration"])) for r in rows(tmp_path / "run")] == list(range(1, 9))


def test_a_kill_between_checkpoint_and_progress_loses_no_row(tmp_path, monkeypatch):
    """The checkpoint of iteration 4 written, its rows not (and a torn row half written):
    resumed, progress.csv holds every iteration once, as the checkpoint does."""
    cfg = dataclasses.replace(SMALL, checkpoint_every=2, total_steps=128 * 6)
    real_open = open

    def killed_append(file, mode="r", *args, **kwargs):
        if mode == "a" and str(file).endswith("progress.csv"):
            real_open(file, "a").write("5.0,128")  # a row cut short
            raise KeyboardInterrupt  # as kill -9 between the two writes
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(runs, "open", killed_append, raising=False)
    with pytest.raises(KeyboardInterrupt):
        train_expert(cfg, tmp_path / "run")
    monkeypatch.undo()
    assert load_checkpoint(tmp_path / "run")["iteration"] == 4
    # the rows of the first checkpoint, and the torn one
    assert [r["iteration"] for r in rows(tmp_path / "run")] == ["1.0", "2.0", "5.0"]
    train_expert(cfg, tmp_path / "run", resume=True)
    assert [int(float(r["iteration"])) for r in rows(tmp_path / "run")] == list(range(1, 7))


def test_the_closed_form_fisher_matches_the_autograd_one():
    """`GaussianFisher` against `fisher_vector_product` (checked against the explicit
    Hessian in test_trpo.py), with a fitted normaliser and unequal log stds."""
    torch.manual_seed(0)
    policy = GaussianPolicy(5, 3, hidden=(7, 6), log_std=-0.3).double()
    policy.obs_norm.update(3 * torch.randn(50, 5, dtype=torch.float64) + 1)
    with torch.no_grad():
        policy.log_std.copy_(torch.tensor([-0.5, 0.1, 0.7]))
    obs = 2 * torch.randn(11, 5, dtype=torch.float64)
    fisher = GaussianFisher(policy, obs)
    for _ in range(3):
        v = torch.randn(sum(p.numel() for p in policy.parameters()), dtype=torch.float64)
        for damping in (0.0, 0.1):
            expect = fisher_vector_product(policy, obs, v, damping).detach()
            torch.testing.assert_close(fisher(v, damping), expect, rtol=1e-10, atol=1e-12)


def test_rollout_noise_depends_on_the_seed_only():
    """Two collectors reset with one seed collect the same batch, whatever the global RNG."""
    policy = GaussianPolicy(11, 3, (8,), log_std=0.0)
    batches = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)
        collector = RolloutCollector(envs.make("Hopper-v5", num_envs=3), seed=7)
        batches.append(collector.collect(policy, 20))
    np.testing.assert_array_equal(batches[0].actions, batches[1].actions)
    np.testing.assert_array_equal(batches[0].obs, batches[1].obs)
    # the log-probabilities are those of the sampled actions
    with torch.no_grad():
        dist = policy(torch.as_tensor(batches[0].obs, dtype=torch.float32))
        expect = dist.log_prob(torch.as_tensor(batches[0].actions)).sum(-1).numpy()
    np.testing.assert_allclose(batches[0].log_probs, expect, rtol=1e-5, atol=1e-5)
