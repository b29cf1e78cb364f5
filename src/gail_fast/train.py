"""Command line for training.

    python -m gail_fast.train [pipeline] [--quick]   # the whole pipeline on Hopper-v5 (the default)
    python -m gail_fast.train mocap [--quick]        # the humanoid imitating CMU walks
    python -m gail_fast.train expert --env Hopper-v5 --total-steps 3000000 --out RUN
    python -m gail_fast.train gail --env Hopper-v5 --demos FILE --num-trajectories 10 --out RUN
    python -m gail_fast.train bc --env Hopper-v5 --demos FILE --out RUN
    python -m gail_fast.train {expert,gail} --resume RUN [--total-steps N]

Every run writes a run folder (see `gail_fast.runs`) and can be resumed after a crash,
`kill -9` included, losing only the iteration that was under way. A resumed run keeps
its configuration: only how long it runs and how many threads it uses may change.
The trainers live in their modules (`gail_fast.expert`, `gail_fast.gail`,
`gail_fast.bc`, `gail_fast.pipeline`); this one only reads the command line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from gail_fast.bc import BCConfig, train_bc
from gail_fast.config import add_arguments, cli_errors, from_arguments, from_dict, resumed
from gail_fast.expert import ExpertConfig, train_expert
from gail_fast.gail import GAILConfig, train_gail
from gail_fast.mocap_pipeline import MocapConfig, run_mocap
from gail_fast.pipeline import PipelineConfig, pipeline, run_pipeline
from gail_fast.runs import default_run_dir

__all__ = ["BCConfig", "ExpertConfig", "GAILConfig", "MocapConfig", "PipelineConfig", "main", "pipeline"]

COMMANDS: dict[str, tuple[type, str]] = {
    "pipeline": (PipelineConfig, "expert, demonstrations, BC and GAIL on Hopper-v5, then a table (the default)"),
    "expert": (ExpertConfig, "train an RL expert with TRPO"),
    "gail": (GAILConfig, "imitate demonstrations with GAIL"),
    "bc": (BCConfig, "behaviour cloning baseline"),
    "mocap": (MocapConfig, "retarget CMU walks, imitate them with the 21-joint humanoid, measure the gait"),
}
RESUMABLE = ("expert", "gail")
PROG = "python -m gail_fast.train"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", title="commands", metavar="{" + ",".join(COMMANDS) + "}")
    helps = {}
    for name, (cls, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=cls.__doc__)
        add_arguments(p, cls)
        if name not in ("pipeline", "mocap"):
            p.add_argument("--out", type=Path, help=f"run folder (default: runs/<env>__{name}__<seed>__<time>)")
        if name in RESUMABLE:
            p.add_argument("--resume", type=Path, metavar="RUN", help="continue the run in this folder")
        helps[name] = p.format_help()
    # The default command's flags belong in the first help a reader sees.
    parser.epilog = "Without a command, the pipeline runs:\n\n" + helps["pipeline"]
    return parser


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv = ["pipeline", *argv]
    args = parser.parse_args(argv)
    with cli_errors(parser):
        out = run_command(args)
    print(f"run folder: {out}")


def run_command(args: argparse.Namespace) -> Path:
    """Builds the command's configuration from the flags (or the resumed run) and runs it."""
    cls = COMMANDS[args.command][0]
    if args.command == "pipeline":
        return run_pipeline(from_arguments(cls, args))
    if args.command == "mocap":
        return run_mocap(from_arguments(cls, args))
    if getattr(args, "resume", None) is not None:
        if args.out is not None:
            raise ValueError(f"--resume {args.resume} continues that run in place; it takes no --out")
        cfg = resume_config(cls, args, args.resume, args.command)
        out, resume = args.resume, (args.resume / "checkpoints" / "latest.pt").exists()
    else:
        cfg = from_arguments(cls, args)
        out, resume = args.out or default_run_dir(cfg.env, args.command, cfg.seed), False
        if out.exists() and not out.is_dir():
            raise ValueError(f"--out {out} is a file; a run folder is a directory")
    if args.command == "expert":
        return train_expert(cfg, out, resume)
    if args.command == "gail":
        if not cfg.demos:
            raise ValueError("gail needs --demos FILE")
        return train_gail(cfg, out, resume)
    return train_bc(cfg, out)


def resume_config(cls: type, args: argparse.Namespace, run: Path, algo: str) -> Any:
    """The configuration saved in a run folder, with the flags that may change applied."""
    if not (run / "config.json").exists():
        raise FileNotFoundError(f"--resume {run}: no run folder there (config.json is missing)")
    saved = json.loads((run / "config.json").read_text())
    if saved.pop("algo", None) != algo:
        raise ValueError(f"--resume {run}: that run is not a {algo} run")
    try:
        return resumed(cls, from_dict(cls, saved), args)
    except ValueError as e:
        raise ValueError(f"--resume {run}: {e}") from e


if __name__ == "__main__":
    main()
