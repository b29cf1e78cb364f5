#!/usr/bin/env bash
# The 21-joint humanoid imitating two CMU walks (subject 02, clips 01 and 02, each also
# mirrored) state-only, on retargeted clips: GAIL --mode zz (pose features of a step) with
# TRPO from scratch, no task reward; 90% of episodes start from a recorded state (RSI);
# actions are PD targets in [-1, 1] around the standing pose with a small initial noise.
# Resumable: run it again with the same out folder and it continues.
#   bash experiments/gail_humanoid_rsi.sh [out] [total steps] [seed]
set -euo pipefail
data=$(python -c "from gail_fast.data import MOCAP; print(MOCAP)")/cmu
out=${1:-runs/gail_humanoid_rsi}
steps=${2:-30000000}
seed=${3:-0}
mkdir -p "$out"
[ -f "$out/walk.npz" ] || python -m gail_fast.mocap convert --asf "$data/02.asf" --amc "$data/02_01.amc" \
  --amc "$data/02_02.amc" --mirror --env Humanoid21Imitation-v0 --out "$out/walk.npz"
start=$(date +%s)
if [ -f "$out/gail/checkpoints/latest.pt" ]; then
  python -m gail_fast.train gail --resume "$out/gail"
else
  python -m gail_fast.train gail --env Humanoid21Imitation-v0 --demos "$out/walk.npz" --mode zz --num-trajectories 4 \
    --start-fraction 0.9 --init-log-std -2.3 --total-steps "$steps" --num-envs 64 --nstep 256 --gamma 0.99 \
    --gae-lambda 0.95 --grad-penalty 10 --disc-steps 2 --num-threads 2 --seed "$seed" --out "$out/gail"
fi
echo "wall-clock: $(( $(date +%s) - start )) s"
python -m gail_fast.evaluate "$out/gail" --episodes 10
python experiments/pose_stats.py "$out/gail" "$out/walk.npz"
