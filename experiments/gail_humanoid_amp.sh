#!/usr/bin/env bash
# The 21-joint humanoid imitating two CMU walks (02_01, 02_02, each also mirrored), state-only,
# with the recipe of `python -m gail_fast.train mocap` (gail_fast/mocap_pipeline.py): a
# least-squares discriminator on the pose features of a step as a frame's and its change
# (--mode zv) and its bounded reward, a replay of the last 10 policy batches, 90% of episodes
# started from recorded states, TRPO with Fisher products on a fifth of the batch, 3 x 150
# networks; then the walking metrics against the goals. Extra flags go to the command:
# `--task-speed 1.4` adds AMP's task term (a target forward speed), which makes the run no
# longer pure imitation; `--mirror-loss 0` drops the left-right symmetry loss of TRPO's
# step that the recipe uses.
# Resumable: run it again with the same out folder and it continues.
#   bash experiments/gail_humanoid_amp.sh [out] [total steps] [seed] [flags...]
set -euo pipefail
out=${1:-runs/gail_humanoid_amp}
steps=${2:-30000000}
seed=${3:-0}
shift $(( $# < 3 ? $# : 3 ))
start=$(date +%s)
python -m gail_fast.train mocap --out "$out" --total-steps "$steps" --seed "$seed" "$@"
echo "wall-clock: $(( $(date +%s) - start )) s"
