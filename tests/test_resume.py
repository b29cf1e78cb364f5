"""Resuming a run changes nothing: killed and resumed (or finished and extended), a run
learns exactly what an uninterrupted run with its seed learns, bit for bit (policy, value
function, discriminator, optimisers, generators, the simulators, the logged rows); a
resumed run holds exactly what its checkpoint held; the simulator's saved state and the
checks on it."""

import csv
import dataclasses
import shutil

import numpy as np
import pytest
import torch

from gail_fast import _core, envs, humanoid, runs
from gail_fast.expert import ExpertConfig, train_expert
from gail_fast.gail import GAILConfig, train_gail
from gail_fast.nets import GaussianPolicy
from gail_fast.rollout import RolloutCollector, set_sim_state, sim_state
from gail_fast.runs import load_checkpoint

ITERATION = 4 * 32  # environment steps per iteration
EXPERT = ExpertConfig(
    env="Hopper-v5", num_envs=4, nstep=32, hidden=(16, 16), seed=5, total_steps=10 * ITERATION, checkpoint_every=3
)


def gail_config(demos):
    # state-only steps, a replay of past batches and the gradient penalty: every part of
    # the discriminator's state and its draws takes part
    return GAILConfig(
        **{f.name: getattr(EXPERT, f.name) for f in dataclasses.fields(ExpertConfig)},
        demos=str(demos),
        num_trajectories=2,
        mode="ss",
        replay=2,
        grad_penalty=1.0,
        disc_steps=2,
    )


@pytest.fixture(scope="module", params=["expert", "gail"])
def algo(request, hopper_demos, tmp_path_factory):
    """(config, trainer, an uninterrupted run of 10 iterations)."""
    cfg, trainer = (EXPERT, train_expert) if request.param == "expert" else (gail_config(hopper_demos), train_gail)
    run = tmp_path_factory.mktemp(request.param) / "uninterrupted"
    trainer(cfg, run)
    return cfg, trainer, run


@pytest.fixture(scope="module")
def gail_run(hopper_demos, tmp_path_factory):
    """(config, an uninterrupted run) of GAIL alone, for what only it has: demonstrations
    and the trust region's anneal."""
    cfg = gail_config(hopper_demos)
    run = tmp_path_factory.mktemp("gail_alone") / "uninterrupted"
    train_gail(cfg, run)
    return cfg, run


def flat(state, prefix=""):
    """A checkpoint's entries by path, without the ones a resumed run writes differently
    by design: its config's resumable fields and its progress rows' timings."""
    out = {}
    for key, value in state.items():
        if prefix == "" and key in ("config", "progress_rows"):
            continue
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out |= flat(value, path + "/")
        elif isinstance(value, (list, tuple)):
            out |= flat(dict(enumerate(value)), path + "/")
        else:
            out[path] = value
    return out


def assert_same_checkpoint(a, b):
    fa, fb = flat(load_checkpoint(a)), flat(load_checkpoint(b))
    assert fa.keys() == fb.keys()
    differ = [k for k in fa if not (torch.equal(fa[k], fb[k]) if isinstance(fa[k], torch.Tensor) else fa[k] == fb[k])]
    assert not differ, f"the runs differ in {differ}"


def logged(run):
    with open(run / "progress.csv") as f:
        return [{k: v for k, v in r.items() if "SPS" not in k} for r in csv.DictReader(f)]


def killed_at(monkeypatch, iteration):
    """The run dies as it logs `iteration` (the next rollout running beside it), as a
    kill -9 would: nothing after the last checkpoint survives."""
    real = runs.Run.log

    def log(self, i, *args):
        if i == iteration:
            raise KeyboardInterrupt
        real(self, i, *args)

    monkeypatch.setattr(runs.Run, "log", log)


def test_a_killed_run_resumes_into_the_uninterrupted_one(algo, tmp_path, monkeypatch):
    cfg, trainer, uninterrupted = algo
    killed_at(monkeypatch, 8)
    with pytest.raises(KeyboardInterrupt):
        trainer(cfg, tmp_path / "run")
    monkeypatch.undo()
    state = load_checkpoint(tmp_path / "run")
    assert state["iteration"] == 6 and "collector" in state
    trainer(cfg, tmp_path / "run", resume=True)
    assert_same_checkpoint(tmp_path / "run", uninterrupted)
    assert logged(tmp_path / "run") == logged(uninterrupted)


def test_a_finished_run_extended_is_the_longer_run(algo, tmp_path):
    """Its last checkpoint comes at the end (5 is no multiple of 3), with no rollout ahead."""
    cfg, trainer, uninterrupted = algo
    trainer(dataclasses.replace(cfg, total_steps=5 * ITERATION), tmp_path / "run")
    trainer(cfg, tmp_path / "run", resume=True)
    assert_same_checkpoint(tmp_path / "run", uninterrupted)
    assert logged(tmp_path / "run") == logged(uninterrupted)


def test_a_resumed_run_holds_what_its_checkpoint_held(algo, tmp_path):
    """Resumed with nothing left to do, a run saves at once what it restored: every entry
    that was not loaded (the policy, the discriminator, an optimiser, a generator, the
    collector) would be a fresh one."""
    cfg, trainer, _ = algo
    cfg = dataclasses.replace(cfg, total_steps=5 * ITERATION)
    trainer(cfg, tmp_path / "run")
    shutil.copytree(tmp_path / "run", tmp_path / "saved")
    torch.manual_seed(123)  # the global generator as another process would have it
    trainer(cfg, tmp_path / "run", resume=True)
    assert_same_checkpoint(tmp_path / "run", tmp_path / "saved")


def test_a_trust_region_anneal_set_on_resume_is_the_run_configured_with_it(gail_run, tmp_path):
    """An anneal from the step a run has reached leaves its past as it was: the run resumed
    with it ends where a run with the anneal in its settings from the start does."""
    cfg, _ = gail_run
    annealed = dataclasses.replace(cfg, kl_anneal_start=5 * ITERATION, kl_anneal_final=0.2)
    train_gail(annealed, tmp_path / "from_the_start")
    train_gail(dataclasses.replace(cfg, total_steps=5 * ITERATION), tmp_path / "run")
    train_gail(annealed, tmp_path / "run", resume=True)
    assert_same_checkpoint(tmp_path / "run", tmp_path / "from_the_start")
    # each iteration's step at the steps taken before its batch: the first after the resume at the start
    max_kl = [float(r["losses/max_kl"]) for r in logged(tmp_path / "run")[5:]]
    assert max_kl == pytest.approx([0.01 * (1 - 0.8 * i / 5) for i in range(5)])


def test_an_anneal_that_would_rewrite_the_past_is_refused(gail_run, tmp_path):
    cfg, _ = gail_run
    train_gail(dataclasses.replace(cfg, total_steps=5 * ITERATION), tmp_path / "run")
    with pytest.raises(ValueError, match=f"set --kl-anneal-start {5 * ITERATION} or later"):
        train_gail(dataclasses.replace(cfg, kl_anneal_start=4 * ITERATION), tmp_path / "run", resume=True)


def test_a_run_moved_with_its_demonstrations_resumes(gail_run, tmp_path):
    """A run folder and its demonstrations copied elsewhere (another machine, a fork) resume
    there into the uninterrupted run; other demonstrations at that path are refused."""
    from gail_fast.demos import Demonstrations

    cfg, uninterrupted = gail_run
    train_gail(dataclasses.replace(cfg, total_steps=5 * ITERATION), tmp_path / "here")
    shutil.copytree(tmp_path / "here", tmp_path / "there")
    shutil.copy(cfg.demos, tmp_path / "there.npz")
    moved = dataclasses.replace(cfg, demos=str(tmp_path / "there.npz"))
    shutil.copytree(tmp_path / "there", tmp_path / "other")
    train_gail(moved, tmp_path / "there", resume=True)
    assert_same_checkpoint(tmp_path / "there", uninterrupted)

    demos = Demonstrations.load(cfg.demos)
    demos.obs[0, 0] += 1e-3
    demos.save(tmp_path / "there.npz")
    with pytest.raises(ValueError, match="holds other demonstrations than the run learnt from"):
        train_gail(moved, tmp_path / "other", resume=True)


def test_a_checkpoint_without_a_fingerprint_resumes_from_the_same_path_only(gail_run, tmp_path):
    cfg, _ = gail_run
    train_gail(dataclasses.replace(cfg, total_steps=5 * ITERATION), tmp_path / "run")
    path = tmp_path / "run" / "checkpoints" / "latest.pt"
    state = load_checkpoint(tmp_path / "run")
    del state["demos_sha256"]  # as runs written before checkpoints held it
    runs.save_checkpoint(path, state)
    shutil.copy(cfg.demos, tmp_path / "moved.npz")
    with pytest.raises(ValueError, match="holds no fingerprint of its demonstrations"):
        train_gail(dataclasses.replace(cfg, demos=str(tmp_path / "moved.npz")), tmp_path / "run", resume=True)
    train_gail(cfg, tmp_path / "run", resume=True)  # where they were: resumes


# ---- the collector's and the simulator's saved state ---------------------------------------


def humanoid_collector(seed=None):
    env = envs.make("Humanoid21Imitation-v0", num_envs=3, num_threads=2, max_episode_steps=25)
    return RolloutCollector(env, seed)


def test_a_restored_collector_collects_what_the_original_would():
    """The humanoid keeps a task state (its pelvis history); episodes end by the time
    limit inside the batches, so running returns and lengths carry over."""
    torch.manual_seed(0)
    original = humanoid_collector(seed=4)
    policy = GaussianPolicy(original.observation_space.shape[0], 21, (16,), log_std=-1.0)
    original.collect(policy, 10)
    state = original.state_dict()
    expect = [original.collect(policy, 20), original.collect(policy, 20)]
    restored = humanoid_collector()
    restored.load_state_dict(state)
    for a, b in zip(expect, [restored.collect(policy, 20), restored.collect(policy, 20)]):
        for name in ("obs", "actions", "rewards", "terminated", "truncated", "final_obs", "last_obs"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
        np.testing.assert_array_equal(a.episode_lengths, b.episode_lengths)
        np.testing.assert_array_equal(a.episode_returns, b.episode_returns)
    assert len(expect[0].episode_lengths) and (expect[0].episode_lengths == 25).all()
    assert not np.array_equal(state["obs"].numpy(), expect[0].last_obs)


def test_collectors_without_a_saved_state():
    collector = RolloutCollector(envs.make("Pendulum-v1", num_envs=2), seed=0)
    assert collector.state_dict() is None  # Gymnasium's environments: a resumed run starts fresh episodes
    assert RolloutCollector(envs.make("Hopper-v5", num_envs=2)).state_dict() is None  # before reset
    with pytest.raises(ValueError, match="cannot restore a simulator's state"):
        collector.load_state_dict({})


def test_runs_on_collectors_without_a_saved_state_checkpoint_and_resume(tmp_path):
    """Gymnasium's environments: checkpoints mid-run (the next rollout already running)
    hold no collector state, and a resumed run starts fresh episodes."""
    cfg = dataclasses.replace(EXPERT, env="Pendulum-v1", total_steps=4 * ITERATION, checkpoint_every=2)
    train_expert(cfg, tmp_path / "run")
    state = load_checkpoint(tmp_path / "run")
    assert state["iteration"] == 4 and "collector" not in state
    train_expert(dataclasses.replace(cfg, total_steps=6 * ITERATION), tmp_path / "run", resume=True)
    assert load_checkpoint(tmp_path / "run")["iteration"] == 6


def test_bad_collector_states_are_clear_errors():
    state = humanoid_collector(seed=0).state_dict()
    target = humanoid_collector()

    def refused(match, **changes):
        with pytest.raises(ValueError, match=match):
            target.load_state_dict({**state, **changes})

    refused(rf"obs must be a torch.float64 tensor of shape \(3, {_core.POSE_FEATURES + 53}\)", obs=state["obs"][:2])
    refused("running_length must be a torch.int64", running_length=state["running_length"].int())
    refused("generator state is not a torch generator's", generator=torch.zeros(3, dtype=torch.uint8))
    refused("must be finite", running_return=torch.full((3,), float("nan"), dtype=torch.float64))
    sim = state["sim"]
    refused("the simulator's state must be a dict", sim=[1, 2])
    refused(
        "the simulator's rng must be a torch.int64 tensor, got NoneType",
        sim={k: v for k, v in sim.items() if k != "rng"},
    )
    refused(r"integration must have shape \(3, 227\)", sim={**sim, "integration": sim["integration"][:, :5]})
    bad = sim["integration"].clone()
    bad[1, 3] = float("inf")
    refused("integration must be finite; row 1", sim={**sim, "integration": bad})
    refused(
        r"elapsed must be in \[0, 25\), got 25 \(simulation 0\)",
        sim={**sim, "elapsed": torch.full((3,), 25, dtype=torch.int32)},
    )
    rng = sim["rng"].clone()
    rng[2] = 0
    refused(r"rng must not be all zero \(simulation 2\)", sim={**sim, "rng": rng})
    refused(r"start_rows must be in \[-1, 0\), got 0", sim={**sim, "start_rows": torch.zeros(3, dtype=torch.int32)})
    count = sim["task_state"].clone()
    count[1, 0] = 2.5  # the humanoid's count of pelvis positions indexes its ring
    refused("task_state row 1: its count of pelvis positions", sim={**sim, "task_state": count})
    # nothing was set by the refused states: the target still has no observations
    assert target.obs is None


def test_core_sim_state_round_trip_and_shape_checks():
    env = envs.make("Hopper-v5", num_envs=2)
    env.reset(seed=1)
    core = env.core
    state = sim_state(core)
    assert state["task_state"].shape == (2, 0) and state["integration"].shape == (2, core.state_size)
    first = [env.step(np.full((2, 3), 0.3))[:4] for _ in range(30)]  # observations, rewards, ends
    set_sim_state(core, state)
    again = [env.step(np.full((2, 3), 0.3))[:4] for _ in range(30)]
    for a, b in zip(first, again):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
    n = core.nenv
    arrays = [np.empty((n, core.state_size)), np.empty((n, 2)), np.empty((n, 0)), np.empty(n, np.int32)]
    with pytest.raises(TypeError, match="rng must have dtype uint64, got int64"):
        core.get_sim_state(*arrays, np.empty((n, 4), np.int64), np.empty(n, np.int32))
    with pytest.raises(ValueError, match=r"rng must have shape \(2, 4\)"):
        core.set_sim_state(*arrays, np.ones((n, 3), np.uint64), np.full(n, -1, np.int32))


def test_start_pools_refuse_a_task_state_the_task_cannot_read():
    env = envs.make("Humanoid21Imitation-v0", num_envs=2)
    qpos, qvel = env.get_state()
    task_state = humanoid.start_states(qpos, np.array([1]))
    task_state[0, 0] = 1e300  # once cast to the ring's index, undefined behaviour
    with pytest.raises(ValueError, match="task_state row 0: its count of pelvis positions"):
        env.set_start_pool(qpos, qvel, task_state, 1.0)
