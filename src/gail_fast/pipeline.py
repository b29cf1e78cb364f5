"""The main job: expert, demonstrations, BC and GAIL on Hopper-v5, then a table of returns.

    python -m gail_fast.train            # the full run (runs/pipeline/full)
    python -m gail_fast.train --quick    # a short one for a first look (runs/pipeline/quick)

Each stage resumes or reuses what an earlier run of the pipeline left in its folder.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from gail_fast import envs
from gail_fast.agent import TrainingConfig, check_workers
from gail_fast.bc import BCConfig, train_bc
from gail_fast.config import param
from gail_fast.evaluate import Evaluation
from gail_fast.expert import ExpertConfig, train_expert
from gail_fast.gail import GAILConfig, train_gail
from gail_fast.loop import progress_bar

ENV_ID = "Hopper-v5"
DEMONSTRATIONS = 25  # recorded from the expert
TRAJECTORIES = 10  # of them, what BC and GAIL learn from


@dataclass
class PipelineConfig:
    """The whole pipeline on Hopper-v5: expert, demonstrations, BC, GAIL, a table of their returns."""

    quick: bool = param(False, "A short run (minutes: 300k steps of expert and of GAIL) instead of the full one.")
    out: str = param("runs/pipeline", "Folder of the pipeline's runs (quick/ or full/ inside).")
    seed: int = param(0, "Seed of every stage.")
    workers: int = param(
        0,
        'Rollout workers on Ray for the expert and GAIL (pip install ".[ray]"); the same batches as in this process '
        "(0: the environments run in this process).",
    )
    ray_address: str = param(
        "", "With --workers: the Ray cluster's address (default: a local Ray started for the run)."
    )

    def __post_init__(self) -> None:
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")
        check_workers(self.workers, self.ray_address, TrainingConfig.num_envs)


def run_pipeline(cfg: PipelineConfig) -> Path:
    """Runs the pipeline in `cfg.out`/quick or `cfg.out`/full; returns that folder."""
    if cfg.quick:
        root, expert_steps, gail_steps = Path(cfg.out) / "quick", 300_000, 300_000
    else:
        root, expert_steps, gail_steps = Path(cfg.out) / "full", 3_000_000, 5_000_000
    pipeline(root, expert_steps, gail_steps, cfg.seed, cfg.workers, cfg.ray_address)
    return root


def pipeline(
    root: Path, expert_steps: int, gail_steps: int, seed: int = 0, workers: int = 0, ray_address: str = ""
) -> None:
    """Expert (trained, or resumed and reused), demonstrations, BC and GAIL on Hopper-v5,
    then a table of their returns; the expert's and GAIL's rollouts in `workers` Ray
    workers if set."""
    from gail_fast.demos import record

    start = time.perf_counter()
    expert_run, gail_run, bc_run = root / "expert", root / "gail", root / "bc"
    demos_file = root / "demos.npz"
    if workers:
        from gail_fast.workers import import_ray

        import_ray()  # before any stage writes
    ray = {"workers": workers, "ray_address": ray_address}
    expert_cfg = ExpertConfig(env=ENV_ID, total_steps=expert_steps, seed=seed, **ray)
    gail_cfg = GAILConfig(
        env=ENV_ID,
        demos=str(demos_file),
        num_trajectories=TRAJECTORIES,
        total_steps=gail_steps,
        seed=seed,
        bc_init=True,
        grad_penalty=1.0,
        **ray,
    )
    with progress_bar(expert_steps, "1/3 expert") as bar:
        has_checkpoint = (expert_run / "checkpoints" / "latest.pt").exists()
        train_expert(expert_cfg, expert_run, resume=has_checkpoint, progress=bar)
    if not demos_file.exists():
        print(f"2/3 recording {DEMONSTRATIONS} expert demonstrations", flush=True)
        record(expert_run, episodes=DEMONSTRATIONS).save(demos_file)
    train_bc(BCConfig(env=ENV_ID, demos=str(demos_file), num_trajectories=TRAJECTORIES, seed=seed), bc_run)
    with progress_bar(gail_steps, "3/3 GAIL") as bar:
        has_checkpoint = (gail_run / "checkpoints" / "latest.pt").exists()
        train_gail(gail_cfg, gail_run, resume=has_checkpoint, progress=bar)
    print(table({"expert": expert_run, "BC": bc_run, "GAIL": gail_run}, expert_steps))
    print(f"learning curves: {expert_run / 'curves.png'}, {gail_run / 'curves.png'}")
    print(f"pipeline: {time.perf_counter() - start:.0f} s")


def table(runs: dict[str, Path], expert_steps: int, episodes: int = 10) -> str:
    """Evaluates the deterministic policies of `runs` ("expert", "BC", "GAIL") and
    formats their table (`format_table`)."""
    from gail_fast.evaluate import evaluate_policy
    from gail_fast.runs import load_policy

    results = {}
    for name, run in runs.items():
        policy, env_id, _ = load_policy(run)
        results[name] = evaluate_policy(policy, env_id, episodes=episodes)
    return format_table(results, runs, expert_steps)


def format_table(results: dict[str, Evaluation], runs: dict[str, Path], expert_steps: int) -> str:
    """Returns, episode lengths and reward per step, and what they say where the returns
    alone would mislead: an expert that falls, an imitation that outlasts it."""
    limit = envs.FAST_ENVS[ENV_ID].max_episode_steps
    episodes = results["expert"].episodes
    lines = [
        f"\n{ENV_ID}, deterministic policies, {episodes} episodes each (an episode ends in a fall or after {limit} steps)",
        f"{'policy':8s} {'return':>16s} {'length':>12s} {'reward/step':>11s}   run folder",
    ]
    for name, r in results.items():
        per_step = sum(r.returns) / sum(r.lengths)
        lines.append(
            f"{name:8s} {r.mean_return:7.1f} ± {r.std_return:6.1f} {r.mean_length:5.0f} ± {r.std_length:4.0f} "
            f"{per_step:11.2f}   {runs[name]}"
        )
    expert = results["expert"]
    if expert.mean_length < 0.95 * limit:
        lines.append(
            f"The expert falls after {expert.mean_length:.0f} of {limit} steps: {expert_steps} steps of TRPO are too "
            "few for it to stay up (the full run's does)."
        )
    longer = [name for name, r in results.items() if name != "expert" and r.mean_length > 1.1 * expert.mean_length]
    if longer:
        lines.append(
            f"{' and '.join(longer)} stay{'s' if len(longer) == 1 else ''} up longer than the expert imitated. "
            "GAIL's reward, -log(1 - D), is positive at every step, so it pays for surviving, and so does Hopper's "
            "return (1 per step upright): a longer episode scores above the expert without imitating it better. "
            "Reward per step compares the gaits."
        )
    return "\n".join(lines)
