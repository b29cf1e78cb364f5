"""Fork a `train mocap` run at one of its checkpoints: a new run folder whose history is the
original's up to that checkpoint, to be resumed with a schedule that starts there (such as
`--kl-anneal-start STEP`), so that its continuation and the original's differ in that alone.

    python experiments/fork_run.py RUN SNAPSHOT OUT
    bash experiments/gail_humanoid_amp.sh OUT TOTAL SEED --mode zvf --kl-anneal-start STEP

RUN is the original's `--out` folder (with full/ inside), SNAPSHOT a copy of its
full/gail/checkpoints/latest.pt taken during the run, OUT the fork's `--out` folder. The
clips are copied and the run's demonstrations path pointed at OUT's copy (the one setting
that names the folder); progress rows past the snapshot are dropped when the fork resumes.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from gail_fast.runs import load_checkpoint, save_checkpoint


def fork(run: Path, snapshot: Path, out: Path) -> int:
    """Writes the fork into `out`; returns the environment step of its checkpoint."""
    src, dst = run / "full", out / "full"
    if not (src / "gail" / "config.json").exists():
        raise SystemExit(f"{run} holds no train mocap run (no full/gail/config.json)")
    if dst.exists():
        raise SystemExit(f"{dst} exists; fork into a new folder")
    try:
        state = load_checkpoint(snapshot)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(str(e)) from None
    config = json.loads((src / "gail" / "config.json").read_text())
    if state.get("config", {}).get("seed") != config["seed"] or state.get("algo") != "gail":
        raise SystemExit(f"{snapshot} is not a checkpoint of {run}'s GAIL run")
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("events.out.*", "checkpoints", "*.html"))
    demos = str(dst / Path(config["demos"]).name)
    for settings in (config, state["config"]):
        settings["demos"] = demos
    (dst / "gail" / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    (dst / "gail" / "checkpoints").mkdir()
    save_checkpoint(dst / "gail" / "checkpoints" / "latest.pt", state)
    return int(state["global_step"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path)
    parser.add_argument("snapshot", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    step = fork(args.run, args.snapshot, args.out)
    print(f"{args.out}: {args.run}'s run at {step} environment steps; resume it with a schedule from step {step}")


if __name__ == "__main__":
    main()
