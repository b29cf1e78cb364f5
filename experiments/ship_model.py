"""Writes a humanoid run's policy as a model folder of the repository, with its gait measured.

    python experiments/ship_model.py RUN models/humanoid21_walk [--checkpoint FILE] [--note TEXT]

The folder (`runs.export_model`: the checkpoint without value function, optimisers or
replay, and the run's config, progress log and curves) gets `metrics.json` and
`metrics.txt`, the walking metrics of `train mocap`'s report (8 deterministic episodes of
1000 steps from the standing reset, beside the shipped clips), and `README.md`: what
it is, the settings and seed that made it, and how to look at it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from gail_fast import walking
from gail_fast.mocap_pipeline import MocapConfig, comparison_clips
from gail_fast.runs import CHECKPOINT, export_model, load_checkpoint, load_policy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="a run folder")
    parser.add_argument("dest", type=Path)
    parser.add_argument(
        "--checkpoint", type=Path, help="a saved copy of one of the run's checkpoints (default: its latest)"
    )
    parser.add_argument("--note", default="", help="a line on how the checkpoint was chosen")
    args = parser.parse_args()

    run, checkpoint = args.run, args.checkpoint
    if checkpoint is not None:  # a saved copy of a checkpoint: export it as the run's latest
        with tempfile.TemporaryDirectory() as tmp:
            staged = Path(tmp) / "run"
            shutil.copytree(run, staged, ignore=shutil.ignore_patterns("*.pt", "events.*"))
            (staged / "checkpoints").mkdir(exist_ok=True)
            shutil.copyfile(checkpoint, staged / "checkpoints" / CHECKPOINT)
            # the log up to that checkpoint
            step = load_checkpoint(checkpoint)["global_step"]
            lines = (staged / "progress.csv").read_text().splitlines()
            kept = [lines[0]] + [line for line in lines[1:] if float(line.split(",")[1]) <= step]
            (staged / "progress.csv").write_text("\n".join(kept) + "\n")
            export_model(staged, args.dest)
    else:
        export_model(run, args.dest)

    policy, env_id, state = load_policy(args.dest, check_env=True)
    clips = comparison_clips()
    result = walking.assess(policy, env_id, *clips)
    (args.dest / "metrics.json").write_text(json.dumps(result, indent=1) + "\n")
    table = walking.format_assessment(result)
    (args.dest / "metrics.txt").write_text(table + "\n")
    cfg = state["config"]
    # the flags of `train mocap` that differ from its defaults
    run_settings, defaults = cfg | cfg["trpo"], MocapConfig()
    flags = ""
    train_mocap_flags = (
        "mode",
        "task_speed",
        "task_weight",
        "task_start",
        "start_fraction",
        "fvp_subsample",
        "vf_epochs",
        "mirror",
        "mirror_loss",
    )
    for name in train_mocap_flags:
        value, default = run_settings.get(name, getattr(defaults, name)), getattr(defaults, name)
        flag = name.replace("_", "-")
        if value != default:
            flags += f" --{flag}" if value is True else f" --no-{flag}" if value is False else f" --{flag} {value}"
    (args.dest / "README.md").write_text(
        f"""# {args.dest.name}

A policy for `{env_id}` (the 21-joint humanoid) learnt by GAIL from the CMU walks 02_01
and 02_02 and their mirror images, state-only: no environment reward, no actions
({walking.task_note(*walking.task_term(state)) or f"`task_speed` {cfg.get('task_speed', 0.0)}: pure imitation"}).
{state["global_step"]:,} environment steps, seed {cfg["seed"]}. {args.note}

- `checkpoints/latest.pt`: the policy (with its observation normaliser) and the
  discriminator; `config.json`: every setting of the run; `progress.csv`, `curves.png`:
  its training log.
- `metrics.txt` / `metrics.json`: its gait, 8 deterministic episodes of 1000 steps (15 s)
  from the standing reset, beside the trained clips and a walk of another subject's.

```bash
python -m gail_fast.view {args.dest} --out walk.html     # or walk.mp4 / walk.gif
python -m gail_fast.evaluate {args.dest} --episodes 8
```

The run's command: `bash experiments/gail_humanoid_amp.sh RUN {cfg["total_steps"]} {cfg["seed"]}{flags}` (the same
settings as `python -m gail_fast.train mocap --seed {cfg["seed"]}{flags}`).
"""
    )
    print(table)
    size = sum(p.stat().st_size for p in args.dest.rglob("*") if p.is_file())
    print(f"written: {args.dest} ({size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
