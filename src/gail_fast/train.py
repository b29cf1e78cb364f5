"""Command line for training.

    python -m gail_fast.train                      # the whole pipeline on Hopper-v5
    python -m gail_fast.train --quick              # the same, short, for a first look
    python -m gail_fast.train expert --env Hopper-v5 --total-steps 3000000 --out RUN
    python -m gail_fast.train gail --env Hopper-v5 --demos FILE --num-trajectories 10 --out RUN
    python -m gail_fast.train bc --env Hopper-v5 --demos FILE --out RUN
    python -m gail_fast.train {expert,gail} --resume RUN

Every run writes a run folder (see `gail_fast.runs`) and can be resumed after a crash,
`kill -9` included, losing only the iteration that was under way.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from gail_fast import envs
from gail_fast.agent import Agent, TrainingConfig, planned_steps
from gail_fast.bc import behaviour_cloning, residual_log_std
from gail_fast.config import add_arguments, from_arguments, from_dict, param, to_dict
from gail_fast.demos import Demonstrations
from gail_fast.gail import GAILConfig, train_gail
from gail_fast.rollout import RolloutCollector
from gail_fast.runs import Run, default_run_dir, load_checkpoint, policy_state, save_checkpoint
from gail_fast.trpo import trpo_update

CURVES = ["charts/episodic_return", "losses/kl", "losses/entropy", "losses/value_loss"]


@dataclass
class ExpertConfig(TrainingConfig):
    """Reinforcement learning of an expert with TRPO on the environment's reward."""


@dataclass
class BCConfig:
    """Behaviour cloning on demonstrated (state, action) pairs."""

    env: str = param("Hopper-v5", "Environment id.")
    demos: str = param("", "Demonstrations file (see gail_fast.demos).")
    num_trajectories: int = param(10, "Expert trajectories used from the file.")
    bc_steps: int = param(5000, "Gradient steps.")
    seed: int = param(0, "Seed.")
    hidden: tuple[int, ...] = param((64, 64), "Hidden layer sizes of the policy.")


def progress_bar(total: int, desc: str) -> tqdm:
    return tqdm(total=total, desc=desc, unit="step", disable=bool(os.environ.get("CI")), dynamic_ncols=True)


def train_expert(cfg: ExpertConfig, out: Path, resume: bool = False, progress: tqdm | None = None) -> Path:
    """Trains (or resumes) an expert; returns the run folder."""
    torch.set_num_threads(cfg.torch_threads)
    env = envs.make(cfg.env, num_envs=cfg.num_envs, num_threads=cfg.num_threads)
    nobs, nact = env.single_observation_space.shape[0], env.single_action_space.shape[0]
    agent = Agent.create(nobs, nact, cfg.hidden, cfg.init_log_std, cfg.trpo.vf_lr, cfg.seed)
    iteration, global_step = 0, 0
    if resume:
        state = load_checkpoint(out)
        agent.load_state_dict(state)
        iteration, global_step = int(state["iteration"]), int(state["global_step"])
    run = Run(out, {"algo": "expert", **to_dict(cfg)}, iteration if resume else None, global_step)
    # A resumed run starts fresh episodes from seeds it has not used before.
    collector = RolloutCollector(env, seed=cfg.seed + iteration * cfg.num_envs)
    bar = progress or progress_bar(planned_steps(cfg), f"expert {cfg.env}")
    bar.reset(total=planned_steps(cfg))
    bar.update(global_step)
    try:
        while global_step < cfg.total_steps:
            start = time.perf_counter()
            batch = collector.collect(agent.policy, cfg.nstep)
            rollout_time = time.perf_counter() - start
            stats = trpo_update(
                agent.policy, agent.value_fn, agent.vf_optimizer, batch, batch.rewards, cfg.trpo, agent.generator
            )
            iteration += 1
            global_step += batch.nstep * batch.nenv
            scalars = {
                **batch.episode_scalars(),
                "charts/SPS": batch.nstep * batch.nenv / (time.perf_counter() - start),
                "charts/rollout_SPS": batch.nstep * batch.nenv / rollout_time,
                **{f"losses/{k}": v for k, v in stats.items()},
            }
            save_checkpoint(run.checkpoint_path, agent.checkpoint("expert", cfg, iteration, global_step))
            run.log(iteration, global_step, scalars)
            if iteration % 10 == 0:
                run.plot(CURVES)
            bar.update(batch.nstep * batch.nenv)
            bar.set_postfix(ret=f"{scalars['charts/episodic_return']:.0f}", kl=f"{stats['kl']:.4f}", refresh=False)
        run.plot(CURVES)
    finally:
        if progress is None:
            bar.close()
        run.close()
        env.close()
    return out


def train_bc(cfg: BCConfig, out: Path) -> Path:
    """Behaviour cloning; writes a run folder with a checkpoint that evaluate reads."""
    demos = Demonstrations.load(cfg.demos, env_id=cfg.env).take(cfg.num_trajectories)
    env = envs.make(cfg.env)
    nobs, nact = env.single_observation_space.shape[0], env.single_action_space.shape[0]
    if demos.obs is not None and demos.obs.shape[1] != nobs:
        raise ValueError(f"{cfg.demos} has {demos.obs.shape[1]}-dim observations; {cfg.env} has {nobs}")
    agent = Agent.create(nobs, nact, cfg.hidden, 0.0, 1e-3, cfg.seed)
    losses = behaviour_cloning(agent.policy, demos, cfg.bc_steps, generator=agent.generator)
    with torch.no_grad():
        agent.policy.log_std.copy_(torch.as_tensor(residual_log_std(agent.policy, demos)))
    run = Run(out, {"algo": "bc", **to_dict(cfg)})
    for k, loss in enumerate(losses):
        run.log(k + 1, 0, {"losses/bc_mse": loss})
    save_checkpoint(
        run.checkpoint_path,
        {
            "format": "gail_fast.checkpoint",
            "algo": "bc",
            "env_id": cfg.env,
            "config": to_dict(cfg),
            "iteration": len(losses),
            "global_step": 0,
            "policy": policy_state(agent.policy),
        },
    )
    run.close()
    return out


def resume_config(cls, args, run: Path, algo: str, parser: argparse.ArgumentParser):
    """The config saved in a run folder, with any flags given on top."""
    if not (run / "config.json").exists():
        parser.error(f"--resume {run}: no run folder there (config.json is missing)")
    saved = json.loads((run / "config.json").read_text())
    if saved.pop("algo", None) != algo:
        parser.error(f"--resume {run}: that run is not a {algo} run")
    return from_arguments(cls, args, from_dict(cls, saved))


def pipeline(root: Path, expert_steps: int, gail_steps: int, seed: int = 0) -> None:
    """Expert (trained, or resumed and reused), demonstrations, BC and GAIL on Hopper-v5,
    then a table of their returns."""
    from gail_fast.demos import record
    from gail_fast.evaluate import evaluate_policy
    from gail_fast.runs import load_policy

    env_id = "Hopper-v5"
    expert_run, gail_run, bc_run = root / "expert", root / "gail", root / "bc"
    demos_file = root / "demos.npz"
    with progress_bar(expert_steps, "1/3 expert") as bar:
        expert_cfg = ExpertConfig(env=env_id, total_steps=expert_steps, seed=seed)
        has_checkpoint = (expert_run / "checkpoints" / "latest.pt").exists()
        train_expert(expert_cfg, expert_run, resume=has_checkpoint, progress=bar)
    if not demos_file.exists():
        print("2/3 recording 25 expert demonstrations", flush=True)
        record(expert_run, episodes=25).save(demos_file)
    train_bc(BCConfig(env=env_id, demos=str(demos_file), seed=seed), bc_run)
    with progress_bar(gail_steps, "3/3 GAIL") as bar:
        gail_cfg = GAILConfig(
            env=env_id, demos=str(demos_file), total_steps=gail_steps, seed=seed, bc_init=True, grad_penalty=1.0
        )
        has_checkpoint = (gail_run / "checkpoints" / "latest.pt").exists()
        train_gail(gail_cfg, gail_run, resume=has_checkpoint, progress=bar)
    print(f"\n{env_id}, deterministic policies, 10 episodes each")
    print(f"{'policy':8s} {'return':>18s}   run folder")
    for name, run in (("expert", expert_run), ("BC", bc_run), ("GAIL", gail_run)):
        policy, _, _ = load_policy(run)
        result = evaluate_policy(policy, env_id, episodes=10)
        print(f"{name:8s} {result.mean_return:9.1f} ± {result.std_return:6.1f}   {run}")
    print(f"learning curves: {expert_run / 'curves.png'}, {gail_run / 'curves.png'}")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        prog="python -m gail_fast.train", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        parser.add_argument("--quick", action="store_true", help="a short run (minutes) instead of the full one")
        parser.add_argument("--out", type=Path, default=Path("runs/pipeline"), help="folder of the pipeline's runs")
        parser.add_argument("--seed", type=int, default=0)
        args = parser.parse_args(argv)
        if args.quick:
            pipeline(args.out / "quick", 300_000, 300_000, args.seed)
        else:
            pipeline(args.out / "full", 3_000_000, 5_000_000, args.seed)
        return

    sub = parser.add_subparsers(dest="command", required=True)
    commands = {
        "expert": (ExpertConfig, "train an RL expert with TRPO"),
        "gail": (GAILConfig, "imitate demonstrations with GAIL"),
        "bc": (BCConfig, "behaviour cloning baseline"),
    }
    for name, (cls, help_text) in commands.items():
        p = sub.add_parser(name, help=help_text)
        add_arguments(p, cls)
        p.add_argument("--out", type=Path, help=f"run folder (default: runs/<env>__{name}__<seed>__<time>)")
        if name != "bc":
            p.add_argument("--resume", type=Path, metavar="RUN", help="continue the run in this folder")
    args = parser.parse_args(argv)
    cls = commands[args.command][0]
    try:
        if getattr(args, "resume", None) is not None:
            cfg = resume_config(cls, args, args.resume, args.command, parser)
            out, resume = args.resume, (args.resume / "checkpoints" / "latest.pt").exists()
        else:
            cfg = from_arguments(cls, args)
            out, resume = args.out or default_run_dir(cfg.env, args.command, cfg.seed), False
        if args.command == "expert":
            train_expert(cfg, out, resume)
        elif args.command == "gail":
            if not cfg.demos:
                parser.error("gail needs --demos FILE")
            with progress_bar(cfg.total_steps, f"GAIL {cfg.env}") as bar:
                train_gail(cfg, out, resume, progress=bar)
        else:
            if not cfg.demos:
                parser.error("bc needs --demos FILE")
            train_bc(cfg, out)
    except (FileNotFoundError, ValueError) as e:
        parser.exit(2, f"error: {e}\n")
    print(f"run folder: {out}")


if __name__ == "__main__":
    main()
