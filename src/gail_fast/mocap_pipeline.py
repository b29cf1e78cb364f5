"""The humanoid's job: retarget the shipped CMU walks, imitate them with GAIL, measure the gait.

    python -m gail_fast.train mocap                 # runs/mocap/full
    python -m gail_fast.train mocap --quick         # a short one for a first look (runs/mocap/quick)
    python -m gail_fast.train mocap --clips 02_01 02_02 --seed 1

Stages, each reused or resumed from what an earlier run left in the folder:
  1. the clips retargeted to the 21-joint humanoid, each also mirrored (`walk.npz`), and
     the clips the gait is compared with: a walk not trained on (`reference.npz`, another
     subject's) and a run (`run.npz`);
  2. GAIL, state-only, on the pose features of a step, with AMP's least-squares
     discriminator, bounded reward and replay, most episodes started from recorded states;
  3. the walking metrics of the deterministic policy from the standing reset beside the
     reference clip's, the goals they are held to, and a viewer page (`gail/rollout.html`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from pathlib import Path

from gail_fast import walking
from gail_fast.config import check_range, param
from gail_fast.gail import FEATURE_MODES, GAILConfig, train_gail
from gail_fast.loop import progress_bar
from gail_fast.trpo import TRPOConfig

ENV_ID = "Humanoid21Imitation-v0"
REFERENCE_WALK = "07_05"  # subject 07's walk: a walk, but not the trained subject's
REFERENCE_RUN = "02_03"  # subject 02's run: the gait the policy should not have
NUM_ENVS = 64
TRPO_DOCS = {f.name: f.metadata["doc"] for f in fields(TRPOConfig)}
GAIL_DOCS = {f.name: f.metadata["doc"] for f in fields(GAILConfig) if "doc" in f.metadata}


@dataclass
class MocapConfig:
    """Imitate CMU walks with the 21-joint humanoid (state-only GAIL), then measure the gait."""

    clips: tuple[str, ...] = param(("02_01", "02_02"), "Shipped CMU clips to imitate (each also mirrored).")
    quick: bool = param(False, "A short run (a minute or two: 100k steps) instead of the full one.")
    total_steps: int = param(40_000_000, "Environment steps of the full run (1-2 hours on 2 cores).")
    mode: str = param(
        "zv",
        "What the discriminator sees: zv (a step's pose features as a frame's and its change over the step), "
        "zz (the pose features of a step), zzr (zz with the root's height, tilt and velocities at both ends), "
        "zvf (zv with the feet's motion on the floor: velocity, height, heading, turn rate), "
        "zvfs (zvf with each foot's speed weighted by its nearness to the floor: a stance foot's slide) "
        "or z (one frame's).",
    )
    task_speed: float = param(
        0.0, "Not imitation: AMP's task term, a target forward speed (m/s), beside the imitation reward (0: off)."
    )
    task_weight: float = param(GAILConfig.task_weight, GAIL_DOCS["task_weight"])
    task_start: int = param(GAILConfig.task_start, GAIL_DOCS["task_start"])
    kl_anneal_start: int = param(GAILConfig.kl_anneal_start, GAIL_DOCS["kl_anneal_start"])
    kl_anneal_final: float = param(GAILConfig.kl_anneal_final, GAIL_DOCS["kl_anneal_final"])
    # the recipe's discriminator: AMP's gradient penalty, two steps an iteration
    grad_penalty: float = param(10.0, GAIL_DOCS["grad_penalty"])
    disc_steps: int = param(2, GAIL_DOCS["disc_steps"])
    start_fraction: float = param(
        0.9, "Fraction of episodes started from a recorded state of the clips (the rest from the standing reset)."
    )
    fvp_subsample: float = param(0.2, TRPO_DOCS["fvp_subsample"])
    vf_epochs: int = param(5, TRPO_DOCS["vf_epochs"])
    mirror: bool = param(False, TRPO_DOCS["mirror"])
    # the recipe: with it both seeds walk from standing without falls, and meet more goals (README "Results")
    mirror_loss: float = param(1.0, TRPO_DOCS["mirror_loss"] + " The recipe's is 1; --mirror needs 0.")
    out: str = param("runs/mocap", "Folder of the run (quick/ or full/ inside).")
    seed: int = param(0, "Seed of the networks, the sampling and the environments.")
    workers: int = param(
        0,
        'Rollout workers on Ray (pip install ".[ray]"); the same batches as in this process '
        "(0: the environments run in this process).",
    )
    ray_address: str = param(
        "", "With --workers: the Ray cluster's address (default: a local Ray started for the run)."
    )
    step_threads: int | None = param(
        None, "PyTorch threads of the policy's step (default: one per CPU; 1 when another run shares the cores)."
    )

    def __post_init__(self) -> None:
        from gail_fast.data import cmu_clip

        if not self.clips:
            raise ValueError("clips must name at least one shipped CMU clip")
        if len({cmu_clip(name)[0] for name in self.clips}) > 1:
            raise ValueError(
                f"clips {list(self.clips)} are of different subjects; imitate one subject's clips at a time"
            )
        check_range(self, "total_steps", 1)
        check_range(self, "start_fraction", 0.0, 1.0)
        if self.mode not in FEATURE_MODES:
            raise ValueError(f"mode must be one of {FEATURE_MODES}, got {self.mode!r}")
        # GAILConfig and TRPOConfig check the rest (seed, task term, workers, threads, TRPO's)
        gail_config(self, Path("walk.npz"))

    def trpo(self) -> TRPOConfig:
        """The recipe's TRPO settings."""
        return TRPOConfig(
            gamma=0.99,
            gae_lambda=0.95,
            fvp_subsample=self.fvp_subsample,
            vf_epochs=self.vf_epochs,
            mirror=self.mirror,
            mirror_loss=self.mirror_loss,
        )


def gail_config(cfg: MocapConfig, demos: Path) -> GAILConfig:
    """The recipe the walking experiments settled on (README, "Results")."""
    return GAILConfig(
        env=ENV_ID,
        demos=str(demos),
        num_trajectories=2 * len(cfg.clips),
        mode=cfg.mode,
        reward="amp",
        disc_loss="ls",
        replay=10,
        start_fraction=cfg.start_fraction,
        init_log_std=-1.6,
        total_steps=100_000 if cfg.quick else cfg.total_steps,
        num_envs=NUM_ENVS,
        nstep=256,
        grad_penalty=cfg.grad_penalty,
        disc_steps=cfg.disc_steps,
        task_speed=cfg.task_speed,
        task_weight=cfg.task_weight,
        task_start=cfg.task_start,
        kl_anneal_start=cfg.kl_anneal_start,
        kl_anneal_final=cfg.kl_anneal_final,
        seed=cfg.seed,
        workers=cfg.workers,
        ray_address=cfg.ray_address,
        step_threads=cfg.step_threads,
        trpo=cfg.trpo(),
    )


def retarget(names: list[str], path: Path, mirror: bool) -> Path:
    """The shipped clips `names` (of one subject) retargeted into `path`, unless already there."""
    from gail_fast.data import cmu_clip
    from gail_fast.mocap.convert import convert

    if not path.exists():
        files = [cmu_clip(name) for name in names]
        print(f"retargeting {', '.join(names)}{' and mirrored' if mirror else ''} -> {path}", flush=True)
        convert(files[0][0], [amc for _, amc in files], ENV_ID, mirror=mirror)[0].save(path)
    return path


def comparison_clips(clips: tuple[str, ...] = MocapConfig().clips) -> tuple:
    """`walking.assess`'s clips, retargeted afresh: the reference walk, the run and the
    trained `clips` with their mirror images, as Demonstrations."""
    import tempfile

    from gail_fast.demos import Demonstrations

    with tempfile.TemporaryDirectory() as tmp:
        return tuple(
            Demonstrations.load(retarget(names, Path(tmp) / f"{i}.npz", mirror), env_id=ENV_ID)
            for i, (names, mirror) in enumerate(
                [([REFERENCE_WALK], False), ([REFERENCE_RUN], False), (list(clips), True)]
            )
        )


def run_mocap(cfg: MocapConfig) -> Path:
    """Runs the whole path in `cfg.out`/quick or `cfg.out`/full; returns that folder."""
    from gail_fast.view import RUN_PAGE

    start = time.perf_counter()
    if cfg.workers:
        from gail_fast.workers import import_ray

        import_ray()  # before the clips are written
    root = Path(cfg.out) / ("quick" if cfg.quick else "full")
    root.mkdir(parents=True, exist_ok=True)
    demos = retarget(list(cfg.clips), root / "walk.npz", mirror=True)
    reference = retarget([REFERENCE_WALK], root / "reference.npz", mirror=False)
    running = retarget([REFERENCE_RUN], root / "run.npz", mirror=False)
    gail_cfg = gail_config(cfg, demos)
    run = root / "gail"
    with progress_bar(gail_cfg.total_steps, "GAIL") as bar:
        train_gail(gail_cfg, run, resume=(run / "checkpoints" / "latest.pt").exists(), progress=bar)
    print(report(run, reference, running, demos))
    print(f"viewer page: {run / RUN_PAGE}; curves: {run / 'curves.png'}")
    print(f"mocap: {time.perf_counter() - start:.0f} s")
    return root


def report(run: Path, reference: Path, running: Path, trained: Path, episodes: int = 8, steps: int = 1000) -> str:
    """The walking metrics of `run`'s policy beside the reference walk's, and the goals."""
    from gail_fast.demos import Demonstrations
    from gail_fast.runs import load_policy

    policy, env_id, state = load_policy(run)
    result = walking.assess(
        policy,
        env_id,
        Demonstrations.load(reference, env_id=env_id),
        Demonstrations.load(running, env_id=env_id),
        Demonstrations.load(trained, env_id=env_id),
        episodes,
        steps,
    )
    note = walking.task_note(*walking.task_term(state))
    return "\n".join(filter(None, [note, walking.format_assessment(result)]))
