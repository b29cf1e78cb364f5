#!/usr/bin/env bash
# The 21-joint humanoid imitating two CMU walks (subject 02, clips 01 and 02) state-only,
# through the pose features z_t: GAIL --mode z with TRPO, from scratch, no task reward.
# Then 10 deterministic evaluation episodes and the pose statistics of policy and
# recordings side by side (experiments/pose_stats.py). Results: README, "Results".
#   bash experiments/gail_humanoid_walk.sh [out] [total steps]
set -euo pipefail
data=$(python -c "from gail_fast.data import MOCAP; print(MOCAP)")
out=${1:-runs/gail_humanoid_walk}
steps=${2:-10000000}
mkdir -p "$out"
python -m gail_fast.mocap convert --asf "$data/cmu/02.asf" --amc "$data/cmu/02_01.amc" --amc "$data/cmu/02_02.amc" \
  --env Humanoid21Imitation-v0 --out "$out/walk.npz"
start=$(date +%s)
python -m gail_fast.train gail --env Humanoid21Imitation-v0 --demos "$out/walk.npz" --mode z --num-trajectories 2 \
  --total-steps "$steps" --num-envs 32 --nstep 128 --grad-penalty 10 --num-threads 1 --seed 0 --out "$out/gail"
echo "wall-clock: $(( $(date +%s) - start )) s"
python -m gail_fast.evaluate "$out/gail" --episodes 10
python experiments/pose_stats.py "$out/gail" "$out/walk.npz"
