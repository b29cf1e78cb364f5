"""GAIL: the discriminator's sign convention, a small end-to-end run, bad input."""

import csv
import dataclasses

import numpy as np
import pytest
import torch

from gail_fast import envs, gail, humanoid, train
from gail_fast.demos import Demonstrations, record
from gail_fast.evaluate import evaluate_policy
from gail_fast.nets import GaussianPolicy
from gail_fast.rollout import RolloutCollector
from gail_fast.runs import load_checkpoint, load_policy


def test_sign_convention_on_separable_data():
    """Trained to separate expert from policy samples, D is high on the expert's and
    every reward kind is higher there."""
    gen = torch.Generator().manual_seed(0)
    expert = np.random.default_rng(0).normal(+2.0, 0.5, size=(512, 3))
    policy = torch.as_tensor(np.random.default_rng(1).normal(-2.0, 0.5, size=(512, 3)), dtype=torch.float32)
    disc = gail.Discriminator(expert, hidden=(32, 32))
    optimizer = torch.optim.Adam(disc.parameters(), lr=1e-2)
    expert_t = torch.as_tensor(expert, dtype=torch.float32)
    for _ in range(100):
        stats = gail.discriminator_step(disc, optimizer, expert_t, policy, 1e-3, 0.0, gen)
    assert stats["disc/acc_expert"] == 1.0 and stats["disc/acc_policy"] == 1.0
    with torch.no_grad():
        assert torch.sigmoid(disc(expert_t)).min() > 0.9  # D = P(expert)
        assert torch.sigmoid(disc(policy)).max() < 0.1
    for kind in ("gail", "logd", "logit"):
        assert disc.reward(expert_t, kind).min() > disc.reward(policy, kind).max(), kind
    # -log(1 - D) is positive everywhere, log D negative, the logit changes sign
    assert (disc.reward(policy, "gail") > 0).all() and (disc.reward(expert_t, "logd") < 0).all()


def test_least_squares_discriminator_and_its_bounded_reward():
    """Trained by least squares (AMP), the score is about +1 on the expert's samples and -1
    on the policy's, and the reward max(0, 1 - (d-1)^2/4) is about 1 and 0 there."""
    gen = torch.Generator().manual_seed(0)
    expert_t = torch.as_tensor(np.random.default_rng(0).normal(+2.0, 0.5, size=(512, 3)), dtype=torch.float32)
    policy = torch.as_tensor(np.random.default_rng(1).normal(-2.0, 0.5, size=(512, 3)), dtype=torch.float32)
    disc = gail.Discriminator(expert_t.numpy(), hidden=(32, 32))
    optimizer = torch.optim.Adam(disc.parameters(), lr=1e-2)
    for _ in range(200):
        stats = gail.discriminator_step(disc, optimizer, expert_t, policy, 0.0, 0.0, gen, loss_kind="ls")
    assert stats["disc/acc_expert"] == 1.0 and stats["disc/acc_policy"] == 1.0 and stats["disc/loss"] < 0.05
    with torch.no_grad():
        assert abs(disc(expert_t).mean() - 1) < 0.1 and abs(disc(policy).mean() + 1) < 0.1
    reward_e, reward_p = disc.reward(expert_t, "amp"), disc.reward(policy, "amp")
    assert reward_e.mean() > 0.95 and reward_p.mean() < 0.05
    assert reward_e.max() <= 1.0 and reward_p.min() >= 0.0


def test_policy_replay_keeps_the_newest_rows():
    replay = gail.PolicyReplay(capacity=5, width=2)
    for start in (0, 3, 6):  # 9 rows through a ring of 5, the last add wrapping around
        replay.add(torch.arange(start, start + 3, dtype=torch.float32)[:, None].repeat(1, 2))
    assert replay.size == 5 and sorted(replay.rows[:, 0].tolist()) == [4, 5, 6, 7, 8]
    replay.add(torch.arange(100, 107, dtype=torch.float32)[:, None].repeat(1, 2))  # more than it holds
    assert sorted(replay.rows[:, 0].tolist()) == [102, 103, 104, 105, 106]
    drawn = replay.sample(1000, torch.Generator().manual_seed(0))[:, 0]
    assert set(drawn.tolist()) == {102.0, 103.0, 104.0, 105.0, 106.0}
    restored = gail.PolicyReplay(capacity=5, width=2)
    restored.load_state_dict(replay.state_dict())
    assert torch.equal(restored.rows, replay.rows) and (restored.size, restored.next) == (replay.size, replay.next)


def test_the_trust_region_anneal_is_a_line_from_its_start_to_the_end():
    cfg = gail.GAILConfig(total_steps=3_000, kl_anneal_start=1_000, kl_anneal_final=0.1)
    steps = [0, 1_000, 2_000, 3_000, 4_000]
    assert [gail.trust_region(cfg, s) for s in steps] == pytest.approx([0.01, 0.01, 0.0055, 0.001, 0.001])
    off = gail.GAILConfig(total_steps=3_000)
    assert {gail.trust_region(off, s) for s in steps} == {0.01}


def test_gradient_penalty_smooths_the_discriminator():
    expert = np.random.default_rng(0).normal(+1.0, 0.1, size=(256, 2))
    policy = torch.as_tensor(np.random.default_rng(1).normal(-1.0, 0.1, size=(256, 2)), dtype=torch.float32)
    slopes = []
    for gp in (0.0, 10.0):
        torch.manual_seed(0)
        disc = gail.Discriminator(expert, hidden=(32, 32))
        optimizer = torch.optim.Adam(disc.parameters(), lr=1e-2)
        for _ in range(200):
            gail.discriminator_step(disc, optimizer, torch.as_tensor(expert, dtype=torch.float32), policy, 0.0, gp)
        # The slope where the penalty acts: on standardised inputs between the two sets.
        alpha = torch.linspace(0, 1, 101)[:, None]
        ends = disc.standardize(torch.as_tensor(np.array([[1.0, 1.0], [-1.0, -1.0]]), dtype=torch.float32))
        x = (alpha * ends[0] + (1 - alpha) * ends[1]).requires_grad_(True)
        (grad,) = torch.autograd.grad(disc.net(x).sum(), x)
        slopes.append(grad.norm(dim=1).mean().item())
    assert slopes[1] < 0.5 * slopes[0]


def test_gradient_penalty_does_not_depend_on_units():
    """The same data in other units (one feature 1000 times smaller, as the head's height in
    pose features is beside a foot's) trains the same discriminator."""
    rng = np.random.default_rng(0)
    expert = rng.normal(0.0, 1.0, size=(256, 3))
    policy = expert + np.array([1.5, 0.0, 0.0])  # apart along feature 0 only
    logits = []
    for scale in (1.0, 1e-3):
        units = np.array([scale, 1.0, 1.0])
        torch.manual_seed(0)
        disc = gail.Discriminator(expert * units, hidden=(32, 32))
        optimizer = torch.optim.Adam(disc.parameters(), lr=1e-2)
        e, p = (torch.as_tensor(x * units, dtype=torch.float32) for x in (expert, policy))
        for _ in range(150):
            stats = gail.discriminator_step(disc, optimizer, e, p, 0.0, 1.0, torch.Generator().manual_seed(0))
        assert stats["disc/acc_expert"] > 0.7 and stats["disc/acc_policy"] > 0.7, scale
        with torch.no_grad():
            logits.append(disc(e).numpy())
    np.testing.assert_allclose(logits[1], logits[0], atol=1e-3)


@pytest.fixture(scope="module")
def pendulum_demos(tmp_path_factory):
    """An InvertedPendulum-v5 TRPO expert and 5 of its episodes."""
    root = tmp_path_factory.mktemp("gail")
    train.main(
        [
            "expert",
            "--env",
            "InvertedPendulum-v5",
            "--total-steps",
            "40960",
            "--num-envs",
            "8",
            "--nstep",
            "256",
            "--out",
            str(root / "expert"),
        ]
    )
    expert = evaluate_policy(load_policy(root / "expert")[0], "InvertedPendulum-v5", episodes=5)
    record(root / "expert", episodes=5).save(root / "demos.npz")
    return root, expert.mean_return


def test_gail_reaches_its_expert_on_a_simple_task(pendulum_demos):
    """Algorithm 1 end to end, no environment reward: >= 0.9 of the expert's return."""
    root, expert_return = pendulum_demos
    assert expert_return > 900
    train.main(
        [
            "gail",
            "--env",
            "InvertedPendulum-v5",
            "--demos",
            str(root / "demos.npz"),
            "--num-trajectories",
            "5",
            "--total-steps",
            "61440",
            "--num-envs",
            "8",
            "--nstep",
            "256",
            "--out",
            str(root / "gail"),
        ]
    )
    policy, env_id, state = load_policy(root / "gail")
    assert state["algo"] == "gail" and "discriminator" in state
    result = evaluate_policy(policy, env_id, episodes=10)
    assert result.mean_return >= 0.9 * expert_return
    rows = (root / "gail" / "progress.csv").read_text().splitlines()
    assert {"disc/acc_expert", "disc/acc_policy", "charts/gail_reward", "disc/loss"} <= set(rows[0].split(","))


# ---- imitation where surviving is not enough ----------------------------------------------

TARGET = 0.5  # where the expert holds the cart (its rail spans [-1, 1]); episodes start at 0
# The LQR gain of the cart-pole linearised upright, at its 0.04 s control step, for
# Q = diag(1, 1, 0.1, 0.1) and R = 1 (scipy's solve_discrete_are on finite differences).
GAIN = np.array([-0.741, -6.023, -0.868, -1.012])
LENGTH = 200  # steps per episode: a second of moving to the target, then holding it


def pendulum(nenv):
    return envs.make("InvertedPendulum-v5", num_envs=nenv, max_episode_steps=LENGTH)


def controller_demos(path, episodes=10):
    """Episodes of the LQR controller moving the cart to TARGET and holding it there."""
    env = pendulum(episodes)
    obs, _ = env.reset(seed=100)
    states, actions = [obs], []
    for t in range(LENGTH):
        action = np.clip((obs - [TARGET, 0, 0, 0]) @ -GAIN, -3, 3)[:, None]
        obs, _, terminated, _, info = env.step(action)
        assert not terminated.any()
        actions.append(action)
        states.append(np.stack(info["final_obs"]) if t == LENGTH - 1 else obs)
    states, actions = np.array(states).transpose(1, 0, 2), np.array(actions).transpose(1, 0, 2)
    Demonstrations(
        "InvertedPendulum-v5",
        "LQR controller",
        np.full(episodes, LENGTH),
        states.reshape(-1, 4),
        np.zeros(episodes, bool),
        np.ones(episodes, bool),
        actions.reshape(-1, 1),
    ).save(path)
    return states


def cart_error(policy):
    """Mean |x - TARGET| of the policy's mean actions over episodes' last two thirds, and falls."""
    batch = RolloutCollector(pendulum(8), seed=500).collect(policy, LENGTH, deterministic=True)
    return float(np.abs(batch.obs[LENGTH // 3 :, :, 0] - TARGET).mean()), int(batch.terminated.sum())


def test_gail_imitates_what_surviving_does_not_teach(tmp_path, monkeypatch):
    """On InvertedPendulum staying up is the whole return, and -log(1 - D) pays for it;
    here the expert also holds the cart at x = 0.5, which only the discriminator asks
    for. GAIL (states only) must hold it there; the same run with a constant reward in
    place of D's, which teaches surviving alone, must do clearly worse; D must rise on
    the expert's states as it learns."""
    states = controller_demos(tmp_path / "demos.npz")
    assert np.abs(states[:, LENGTH // 3 :, 0] - TARGET).mean() < 0.05
    cfg = gail.GAILConfig(
        env="InvertedPendulum-v5",
        demos=str(tmp_path / "demos.npz"),
        num_trajectories=10,
        mode="s",
        disc_steps=10,
        disc_lr=1e-3,
        total_steps=61440,
        num_envs=8,
        nstep=256,
        seed=0,
    )
    gail.train_gail(cfg, tmp_path / "gail", collector=RolloutCollector(pendulum(8)))
    imitated, falls = cart_error(load_policy(tmp_path / "gail")[0])
    assert falls == 0 and imitated < 0.15
    with open(tmp_path / "gail" / "progress.csv") as f:
        rows = [{k: float(v) for k, v in r.items() if v} for r in csv.DictReader(f)]
    d_expert = np.array([r["disc/d_expert"] for r in rows])
    d_policy = np.array([r["disc/d_policy"] for r in rows])
    assert abs(d_expert[0] - 0.5) < 0.1 and d_expert[len(rows) // 2 :].mean() > 0.7
    assert (d_expert > d_policy).mean() > 0.9

    monkeypatch.setattr(gail.Discriminator, "reward", lambda self, z, kind="gail": torch.ones(len(z)))
    gail.train_gail(cfg, tmp_path / "constant", collector=RolloutCollector(pendulum(8)))
    survived, falls = cart_error(load_policy(tmp_path / "constant")[0])
    assert falls == 0, "a constant reward teaches surviving"
    assert survived > 2 * imitated and survived > 0.2, (survived, imitated)


def test_gail_resumes(pendulum_demos):
    root, _ = pendulum_demos
    args = [
        "gail",
        "--env",
        "InvertedPendulum-v5",
        "--demos",
        str(root / "demos.npz"),
        "--num-trajectories",
        "5",
        "--num-envs",
        "4",
        "--nstep",
        "64",
        "--mode",
        "ss",
    ]
    train.main([*args, "--total-steps", "512", "--out", str(root / "resumable")])
    train.main(["gail", "--resume", str(root / "resumable"), "--total-steps", "1024"])
    state = load_checkpoint(root / "resumable")
    assert state["global_step"] == 1024 and state["config"]["mode"] == "ss"


def test_bc_baseline(pendulum_demos, tmp_path):
    root, _ = pendulum_demos
    train.main(
        [
            "bc",
            "--env",
            "InvertedPendulum-v5",
            "--demos",
            str(root / "demos.npz"),
            "--num-trajectories",
            "5",
            "--bc-steps",
            "500",
            "--out",
            str(tmp_path / "bc"),
        ]
    )
    policy, env_id, state = load_policy(tmp_path / "bc")
    assert state["algo"] == "bc"
    losses = [float(line.split(",")[-1]) for line in (tmp_path / "bc" / "progress.csv").read_text().splitlines()[1:]]
    assert losses[-1] < 0.5 * losses[0]


# ---- bad input ----------------------------------------------------------------------


def demos_file(tmp_path, env_id="Hopper-v5", nobs=11, actions=True, episodes=2):
    lengths = np.full(episodes, 3)
    d = Demonstrations(
        env_id,
        "t",
        lengths,
        np.zeros((4 * episodes, nobs)),
        np.zeros(episodes, bool),
        np.ones(episodes, bool),
        np.zeros((3 * episodes, 3)) if actions else None,
    )
    path = tmp_path / "d.npz"
    d.save(path)
    return path


def run_gail(tmp_path, capsys, *extra):
    with pytest.raises(SystemExit) as e:
        train.main(
            [
                "gail",
                "--env",
                "Hopper-v5",
                "--total-steps",
                "64",
                "--num-envs",
                "1",
                "--nstep",
                "8",
                "--out",
                str(tmp_path / "run"),
                *extra,
            ]
        )
    assert e.value.code == 2
    return capsys.readouterr().err


def test_dataset_for_another_environment(tmp_path, capsys):
    path = demos_file(tmp_path, env_id="Walker2d-v5")
    assert "for Walker2d-v5, not Hopper-v5" in run_gail(
        tmp_path, capsys, "--demos", str(path), "--num-trajectories", "1"
    )


def test_wrong_observation_size(tmp_path, capsys):
    path = demos_file(tmp_path, nobs=7)
    assert "7-dim observations; Hopper-v5 has 11" in run_gail(
        tmp_path, capsys, "--demos", str(path), "--num-trajectories", "1"
    )


def test_state_action_mode_needs_actions(tmp_path, capsys):
    path = demos_file(tmp_path, actions=False)
    err = run_gail(tmp_path, capsys, "--demos", str(path), "--num-trajectories", "1")
    assert "have no actions: use a state-only mode" in err


def test_too_many_trajectories_and_empty_dataset(tmp_path, capsys):
    path = demos_file(tmp_path, episodes=2)
    assert "holds 2 trajectories; 10 were asked for" in run_gail(tmp_path, capsys, "--demos", str(path))
    empty = tmp_path / "empty.npz"
    np.savez(
        empty,
        format=np.array("gail_fast.demos"),
        version=np.array(1),
        env_id=np.array("Hopper-v5"),
        source=np.array("t"),
        episode_lengths=np.zeros(0, np.int64),
        obs=np.zeros((0, 11)),
        terminated=np.zeros(0, bool),
        truncated=np.zeros(0, bool),
    )
    assert "at least one episode" in run_gail(tmp_path, capsys, "--demos", str(empty))


def test_bad_mode_and_reward(tmp_path, capsys):
    path = demos_file(tmp_path)
    assert "mode must be one of" in run_gail(tmp_path, capsys, "--demos", str(path), "--mode", "xyz")
    assert "reward must be one of" in run_gail(tmp_path, capsys, "--demos", str(path), "--reward", "xyz")
    assert "disc_steps must be >= 1" in run_gail(tmp_path, capsys, "--demos", str(path), "--disc-steps", "0")
    assert "amp needs ls" in run_gail(tmp_path, capsys, "--demos", str(path), "--reward", "amp")
    assert "amp needs ls" in run_gail(tmp_path, capsys, "--demos", str(path), "--disc-loss", "ls")
    assert "task_weight must be" in run_gail(tmp_path, capsys, "--demos", str(path), "--task-weight", "2")
    assert "--task-speed needs the humanoid" in run_gail(tmp_path, capsys, "--demos", str(path), "--task-speed", "1")
    assert "--task-start needs --task-speed" in run_gail(tmp_path, capsys, "--demos", str(path), "--task-start", "10")


@pytest.mark.parametrize(
    "flags",
    [
        ["--mode", "z"],
        # AMP's recipe: a least-squares discriminator on steps, its bounded reward, a replay
        # of past batches (used from the second iteration) and the task term, from the second
        ["--mode", "zz", "--reward", "amp", "--disc-loss", "ls", "--replay", "2", "--task-speed", "1.4"]
        + ["--task-start", "256"],
        # the pose features of a step with the root's state at both ends
        ["--mode", "zzr", "--reward", "amp", "--disc-loss", "ls", "--replay", "2"],
        # a frame's features and their change over the step
        ["--mode", "zv", "--reward", "amp", "--disc-loss", "ls", "--replay", "2"],
        # those with the feet's motion on the floor
        ["--mode", "zvf", "--reward", "amp", "--disc-loss", "ls", "--replay", "2"],
        # and with each foot's slide
        ["--mode", "zvfs", "--reward", "amp", "--disc-loss", "ls", "--replay", "2"],
    ],
    ids=["z", "zz-amp-task", "zzr-amp", "zv-amp", "zvf-amp", "zvfs-amp"],
)
def test_gail_from_motion_capture_features(mocap_dir, tmp_path, flags):
    """The humanoid end to end: walk clips in, a checkpoint out."""
    from gail_fast.mocap.convert import convert

    cmu = mocap_dir / "cmu"
    convert(cmu / "02.asf", [cmu / "02_01.amc", cmu / "02_02.amc"], "Humanoid21Imitation-v0")[0].save(
        tmp_path / "walk.npz"
    )
    train.main(
        [
            "gail",
            "--env",
            "Humanoid21Imitation-v0",
            "--demos",
            str(tmp_path / "walk.npz"),
            *flags,
            "--num-trajectories",
            "2",
            "--num-envs",
            "4",
            "--nstep",
            "64",
            "--total-steps",
            "512",
            "--hidden",
            "150",
            "150",
            "150",
            "--out",
            str(tmp_path / "run"),
        ]
    )
    state = load_checkpoint(tmp_path / "run")
    assert state["global_step"] == 512 and state["config"]["mode"] == flags[1]
    if "--replay" in flags:  # every iteration's policy inputs were kept, 2 x 256 rows of them
        feet = len(humanoid.FOOT_MOTION_NAMES)
        width = {"zzr": 2 * (18 + len(humanoid.ROOT_NAMES)), "zvf": 2 * 18 + feet, "zvfs": 2 * 18 + feet + 2}
        width = width.get(flags[1], 2 * 18)
        assert state["replay"]["rows"].shape == (512, width)
    if "--task-speed" in flags:
        progress = np.genfromtxt(tmp_path / "run" / "progress.csv", delimiter=",", names=True)
        assert ((progress["chartstask_reward"] > 0) & (progress["chartstask_reward"] <= 1)).all()
        # imitation alone for the first 256 steps, then GAILConfig's default weight
        np.testing.assert_array_equal(progress["chartstask_weight"], [0.0, 0.5])


def test_mode_zv_is_a_frame_and_its_change(mocap_dir):
    """Expert and policy inputs of mode zv: z_t, then z_t+1 - z_t; standardised, the
    change of a recorded step has unit spread however small it is beside the pose."""
    from gail_fast.mocap.convert import convert

    cmu = mocap_dir / "cmu"
    walk = convert(cmu / "02.asf", [cmu / "02_01.amc"], "Humanoid21Imitation-v0")[0]
    z, z_next, _ = walk.transitions("features")
    inputs = gail.expert_inputs(walk, "zv")
    np.testing.assert_allclose(inputs, np.concatenate([z, z_next - z], axis=1))
    assert np.abs(z_next - z).mean() < 0.1 * np.abs(z).mean()  # small beside the pose
    standardized = gail.Discriminator(inputs).standardize(torch.as_tensor(inputs, dtype=torch.float32))
    np.testing.assert_allclose(standardized.std(0, correction=0).numpy(), 1.0, rtol=1e-4)

    env = envs.make("Humanoid21Imitation-v0", num_envs=2)
    batch = RolloutCollector(env, seed=0).collect(GaussianPolicy(env.single_observation_space.shape[0], 21), 8)
    low, high = env.single_action_space.low, env.single_action_space.high
    pair, step = gail.policy_inputs(batch, "zz", low, high), gail.policy_inputs(batch, "zv", low, high)
    np.testing.assert_array_equal(step[:, :18], pair[:, :18])
    np.testing.assert_allclose(step[:, 18:], pair[:, 18:] - pair[:, :18])
    feet = gail.policy_inputs(batch, "zvf", low, high)  # zv, then the feet at the step's start
    np.testing.assert_array_equal(feet[:, :36], step)
    obs = batch.obs.reshape(len(step), -1)
    np.testing.assert_array_equal(feet[:, 36:], humanoid.foot_motion_of_obs(obs))
    slide = gail.policy_inputs(batch, "zvfs", low, high)  # zvf, then each foot's slide
    np.testing.assert_array_equal(slide[:, :-2], feet)
    np.testing.assert_array_equal(slide[:, -2:], humanoid.foot_slide(feet[:, 36:]))
    env.close()


def test_modes_zzr_and_zvf_need_recorded_states(mocap_dir):
    """The root's state and the feet's motion come from the demonstrations' qpos/qvel,
    which only files of version 2 hold; without them, a clear error."""
    from gail_fast.mocap.convert import convert

    cmu = mocap_dir / "cmu"
    walk = convert(cmu / "02.asf", [cmu / "02_01.amc"], "Humanoid21Imitation-v0")[0]
    inputs = gail.expert_inputs(walk, "zzr")
    z, z_next, _ = walk.transitions("features")
    assert inputs.shape == (len(z), 2 * (z.shape[1] + len(humanoid.ROOT_NAMES)))
    np.testing.assert_array_equal(inputs[:, : 2 * z.shape[1]], np.concatenate([z, z_next], axis=1))
    assert (inputs[:, 2 * z.shape[1]] > 0.8).all()  # the pelvis's height at each frame of the walk
    with pytest.raises(ValueError, match="mode zzr needs demonstrations with states"):
        gail.expert_inputs(dataclasses.replace(walk, qpos=None, qvel=None), "zzr")

    inputs = gail.expert_inputs(walk, "zvf")
    (q, _, _), (v, _, _) = walk.transitions("qpos"), walk.transitions("qvel")
    np.testing.assert_array_equal(inputs[:, : 2 * z.shape[1]], gail.expert_inputs(walk, "zv"))
    np.testing.assert_array_equal(inputs[:, 2 * z.shape[1] :], humanoid.foot_motion(q, v))
    with pytest.raises(ValueError, match="mode zvf needs demonstrations with states"):
        gail.expert_inputs(dataclasses.replace(walk, qpos=None, qvel=None), "zvf")
    slide = gail.expert_inputs(walk, "zvfs")
    np.testing.assert_array_equal(slide[:, :-2], inputs)
    np.testing.assert_array_equal(slide[:, -2:], humanoid.foot_slide(humanoid.foot_motion(q, v)))
    with pytest.raises(ValueError, match="mode zvfs needs demonstrations with states"):
        gail.expert_inputs(dataclasses.replace(walk, qpos=None, qvel=None), "zvfs")


def test_feature_only_demonstrations_need_mode_z(mocap_dir, tmp_path, capsys):
    from gail_fast.mocap.convert import convert

    cmu = mocap_dir / "cmu"
    convert(cmu / "02.asf", [cmu / "02_01.amc"], "Humanoid21Imitation-v0")[0].save(tmp_path / "walk.npz")
    with pytest.raises(SystemExit):
        train.main(
            [
                "gail",
                "--env",
                "Humanoid21Imitation-v0",
                "--demos",
                str(tmp_path / "walk.npz"),
                "--num-trajectories",
                "1",
                "--out",
                str(tmp_path / "run"),
            ]
        )
    assert "pose features only (motion capture): use --mode z" in capsys.readouterr().err
