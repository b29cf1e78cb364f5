"""`python -m gail_fast.train mocap` with the feet's contact physics edited, to test whether
a policy trained with a contact that holds slides less (`foot_contact.py` measures one
trained on the model as it is).

    python experiments/train_foot_physics.py [--foot-friction 2] [--condim 6] [--noslip 5]
        [--elliptic] -- --out OUT [train mocap's flags...]

The model's XML is copied and edited for this process only (as in `foot_contact.py`); the
edits are written to OUT/foot_physics.json, and a run resumes only with the same ones.
Evaluate its checkpoints under the same physics: `python experiments/foot_contact.py
CHECKPOINT --foot-friction 2` (`walking_checkpoints.py` uses the model as it is).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from foot_contact import add_physics_arguments, physics_edits, use_edited_physics

from gail_fast import train
from gail_fast.mocap_pipeline import ENV_ID


def main() -> None:
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_physics_arguments(parser)
    args = parser.parse_args(argv[:split])
    train_args = argv[split + 1 :]
    edits = physics_edits(args)
    if not edits:
        raise SystemExit("no physics edit asked: run `python -m gail_fast.train mocap` itself")
    out = argparse.ArgumentParser(add_help=False)
    out.add_argument("--out", required=True)
    folder = Path(out.parse_known_args(train_args)[0].out)
    record = folder / "foot_physics.json"
    if record.is_file() and json.loads(record.read_text()) != edits:
        raise SystemExit(f"{record} holds other edits ({record.read_text().strip()}): not resuming with {edits}")
    if not record.is_file() and any((folder / part).exists() for part in ("quick", "full")):
        raise SystemExit(f"{folder} holds a run trained on the model as it is: not resuming it with {edits}")
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(edits) + "\n")
    with tempfile.TemporaryDirectory() as tmp:
        use_edited_physics(ENV_ID, args, Path(tmp))
        train.main(["mocap", *train_args])


if __name__ == "__main__":
    main()
