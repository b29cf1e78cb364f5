"""Rollout workers on Ray (a local Ray of 2 CPUs): a seeded run learns the same with 1
and 2 workers as in this process, and resumes with another number of workers into the
uninterrupted run; a worker killed mid-collect is replaced and the rollouts redone; a
worker whose environment cannot be made where it runs is a clear error at start-up, and
no actor is left behind; without Ray, --workers names the extra and nothing imports Ray;
an unknown environment is named before Ray starts."""

import csv
import logging
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import torch

from gail_fast import envs, train
from gail_fast.nets import GaussianPolicy
from gail_fast.rollout import RolloutCollector
from gail_fast.runs import load_checkpoint

BATCH_FIELDS = (
    "obs",
    "actions",
    "log_probs",
    "rewards",
    "terminated",
    "truncated",
    "final_obs",
    "last_obs",
    "episode_returns",
    "episode_lengths",
)


@pytest.fixture(scope="module")
def ray():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
    yield ray
    ray.shutdown()


def assert_same_batch(a, b):
    for name in BATCH_FIELDS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def learnt(run):
    """The run's final networks and its progress rows without timings."""
    state = load_checkpoint(run)
    with open(run / "progress.csv") as f:
        rows = [{k: v for k, v in r.items() if "SPS" not in k} for r in csv.DictReader(f)]
    return {**state["policy"]["state"], **state["value"]}, rows


def test_a_seeded_run_learns_the_same_with_1_and_2_workers(ray, tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "1")
    flags = ["expert", "--env", "Hopper-v5", "--num-envs", "6", "--nstep", "32", "--hidden", "16", "16", "--seed", "2"]
    flags += ["--total-steps", "384"]  # two iterations: the second's rollout beside the first's update
    results = {}
    for workers in (0, 1, 2):
        run = tmp_path / f"workers{workers}"
        train.main([*flags, "--workers", str(workers), "--out", str(run)])
        results[workers] = learnt(run)
    tensors, rows = results[0]
    assert len(rows) == 2 and rows[0]["charts/episodic_return"] != "nan", "episodes should end"
    for workers in (1, 2):
        assert results[workers][1] == rows, workers
        for name, value in tensors.items():
            torch.testing.assert_close(results[workers][0][name], value, rtol=0, atol=0, msg=f"{workers} {name}")


def test_a_run_resumes_with_another_number_of_workers_into_the_uninterrupted_one(ray, tmp_path, monkeypatch):
    """The collector's saved state is the in-process one's, whatever collected it."""
    monkeypatch.setenv("CI", "1")
    flags = ["expert", "--env", "Hopper-v5", "--num-envs", "6", "--nstep", "32", "--hidden", "16", "16", "--seed", "3"]
    train.main([*flags, "--total-steps", "576", "--out", str(tmp_path / "uninterrupted")])
    expect = learnt(tmp_path / "uninterrupted")
    for first, then in ((2, 0), (0, 2)):
        run = tmp_path / f"workers{first}then{then}"
        train.main([*flags, "--total-steps", "192", "--workers", str(first), "--out", str(run)])
        assert load_checkpoint(run)["collector"] is not None
        train.main(["expert", "--resume", str(run), "--total-steps", "576", "--workers", str(then)])
        tensors, rows = learnt(run)
        assert rows == expect[1], (first, then)
        for name, value in expect[0].items():
            torch.testing.assert_close(tensors[name], value, rtol=0, atol=0, msg=f"{first} then {then}: {name}")


def test_a_ray_collectors_state_is_the_in_process_ones_and_is_checked(ray):
    from gail_fast.workers import RayCollector

    nenv, seed = 4, 3
    torch.manual_seed(0)
    policy = GaussianPolicy(11, 3, (16,), log_std=-0.5)
    reference = RolloutCollector(envs.make("Hopper-v5", num_envs=nenv, num_threads=1), seed=seed)
    collector = RayCollector("Hopper-v5", nenv, workers=2)
    try:
        assert collector.state_dict() is None  # before reset
        collector.reset(seed)
        collector.collect(policy, 30)
        reference.collect(policy, 30)
        state, expect = collector.state_dict(), reference.state_dict()
        assert state["next_seed"] == expect["next_seed"] == seed + nenv
        for key in ("obs", "running_return", "running_length", "generator"):
            assert torch.equal(state[key], expect[key]), key
        for key, value in expect["sim"].items():
            assert torch.equal(state["sim"][key], value), key
        # the in-process state, a collect later, continues in the workers
        reference.collect(policy, 25)
        collector.load_state_dict(reference.state_dict())
        assert_same_batch(collector.collect(policy, 40), reference.collect(policy, 40))
        with pytest.raises(ValueError, match=r"obs must have a row per environment \(4\), got shape \(3, 11\)"):
            collector.load_state_dict({**state, "obs": state["obs"][:3]})
        with pytest.raises(ValueError, match="generator state is not a torch generator's"):
            collector.load_state_dict({**state, "generator": torch.zeros(3, dtype=torch.uint8)})
        with pytest.raises(ValueError, match="simulator's state under 'sim'"):
            collector.load_state_dict({**state, "sim": None})
    finally:
        collector.close()
        reference.close()


def cpu_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def test_a_worker_killed_mid_collect_is_replaced_and_the_rollouts_redone(ray):
    from gail_fast.workers import RayCollector

    nenv, seed, nstep = 4, 11, 20_000
    torch.manual_seed(0)
    policy = GaussianPolicy(11, 3, (16,), log_std=-0.5)
    reference = RolloutCollector(envs.make("Hopper-v5", num_envs=nenv, num_threads=1), seed=seed)
    collector = RayCollector("Hopper-v5", nenv, workers=2)
    try:
        collector.reset(seed)
        assert_same_batch(collector.collect(policy, 50), reference.collect(policy, 50))
        survivor, victim = collector.pids
        done = {}
        ticks = cpu_ticks(victim)
        thread = threading.Thread(target=lambda: done.setdefault("batch", collector.collect(policy, nstep)))
        thread.start()
        while cpu_ticks(victim) < ticks + 5:  # the victim is collecting
            time.sleep(0.01)
        assert thread.is_alive(), "the collect ended before the kill; make it longer"
        os.kill(victim, signal.SIGKILL)
        thread.join()
        assert collector.replaced == 1 and collector.pids[0] == survivor and collector.pids[1] != victim
        # Redone from fresh episodes, seeded as a run resumed at this (the second) iteration.
        reference.reset(seed + 1 * nenv)
        assert_same_batch(done["batch"], reference.collect(policy, nstep))
        # and the run goes on
        assert_same_batch(collector.collect(policy, 50), reference.collect(policy, 50))
    finally:
        collector.close()
        reference.close()


def all_cpus_free(ray, timeout_s=30.0):
    total, deadline = ray.cluster_resources()["CPU"], time.monotonic() + timeout_s
    while ray.available_resources().get("CPU", 0) < total and time.monotonic() < deadline:
        time.sleep(0.1)
    return ray.available_resources().get("CPU", 0) == total


def test_workers_that_cannot_make_their_environments_are_a_start_up_error_and_no_actor_stays(ray):
    import gymnasium as gym

    from gail_fast.workers import RayCollector

    # A setting that does not fit: the workers' own message, as a ValueError.
    with pytest.raises(
        ValueError, match="environments: CartPole-v1 has Discrete actions; the Gaussian policy needs continuous"
    ):
        RayCollector("CartPole-v1", 2, workers=2)
    assert all_cpus_free(ray)
    # An id registered in this process only passes the driver's check; the workers' processes
    # do not know it, as a cluster machine without the package that registers it.
    gym.register("DriverOnlyPendulum-v0", entry_point="gymnasium.envs.classic_control.pendulum:PendulumEnv")
    try:
        with pytest.raises(
            ValueError,
            match="a Ray worker could not make its DriverOnlyPendulum-v0 environments: "
            "unknown environment id 'DriverOnlyPendulum-v0'",
        ):
            RayCollector("DriverOnlyPendulum-v0", 2, workers=2)
    finally:
        del gym.registry["DriverOnlyPendulum-v0"]
    assert all_cpus_free(ray)


WITHOUT_RAY = """
import importlib, pkgutil, sys
sys.modules["ray"] = None  # `import ray` now fails, as where the extra is not installed
import gail_fast
for m in pkgutil.walk_packages(gail_fast.__path__, "gail_fast."):
    if not m.name.endswith("__main__"):
        importlib.import_module(m.name)
from gail_fast import train
for argv in sys.argv[1:]:
    try:
        train.main(argv.split())
    except SystemExit as e:
        print("exit", e.code, flush=True)
"""


def test_without_ray_workers_name_the_extra_and_nothing_imports_ray(tmp_path):
    expert, pipeline = tmp_path / "expert", tmp_path / "pipeline"
    argv = [
        f"expert --env Hopper-v5 --num-envs 2 --workers 2 --out {expert}",
        f"--quick --workers 2 --out {pipeline}",
    ]
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_RAY, *argv], capture_output=True, text=True, env={**os.environ, "CI": "1"}
    )
    assert result.stdout.split("\n")[:2] == ["exit 2", "exit 2"], result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 2 and all('--workers needs Ray, an optional extra: pip install ".[ray]"' in e for e in errors)
    assert not expert.exists() and not pipeline.exists()


def test_an_unknown_environment_with_workers_is_named_before_ray_starts(tmp_path, capsys):
    out = tmp_path / "run"
    with pytest.raises(SystemExit) as e:
        train.main(["expert", "--env", "NoSuchEnv-v0", "--workers", "2", "--out", str(out)])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "unknown environment id 'NoSuchEnv-v0'" in err and "Ray worker" not in err
