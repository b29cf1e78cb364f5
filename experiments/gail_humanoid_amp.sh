#!/usr/bin/env bash
# The 21-joint humanoid imitating two CMU walks (02_01, 02_02, each also mirrored) on
# retargeted clips, with what AMP uses beside GAIL: a least-squares discriminator on the
# pose features of a step (--mode zz) and its bounded reward max(0, 1 - (d-1)^2/4), a
# replay of the last 10 policy batches for the discriminator, 90% of episodes started
# from recorded states, TRPO with Fisher products on a fifth of the batch.
# Extra flags go to the trainer on a fresh start: `--task-speed 1.4` adds AMP's task term
# (a target forward speed), which makes the run no longer pure imitation.
# Resumable: run it again with the same out folder and it continues.
#   bash experiments/gail_humanoid_amp.sh [out] [total steps] [seed] [trainer flags...]
set -euo pipefail
data=$(python -c "from gail_fast.data import MOCAP; print(MOCAP)")/cmu
out=${1:-runs/gail_humanoid_amp}
steps=${2:-30000000}
seed=${3:-0}
shift $(( $# < 3 ? $# : 3 ))
mkdir -p "$out"
[ -f "$out/walk.npz" ] || python -m gail_fast.mocap convert --asf "$data/02.asf" --amc "$data/02_01.amc" \
  --amc "$data/02_02.amc" --mirror --env Humanoid21Imitation-v0 --out "$out/walk.npz"
start=$(date +%s)
if [ -f "$out/gail/checkpoints/latest.pt" ]; then
  python -m gail_fast.train gail --resume "$out/gail"
else
  python -m gail_fast.train gail --env Humanoid21Imitation-v0 --demos "$out/walk.npz" --mode zz --num-trajectories 4 \
    --reward amp --disc-loss ls --replay 10 --start-fraction 0.9 --init-log-std -1.6 --total-steps "$steps" \
    --num-envs 64 --nstep 256 --gamma 0.99 --gae-lambda 0.95 --grad-penalty 10 --disc-steps 2 --fvp-subsample 0.2 \
    --num-threads 2 --seed "$seed" --out "$out/gail" "$@"
fi
echo "wall-clock: $(( $(date +%s) - start )) s"
python -m gail_fast.evaluate "$out/gail" --episodes 8
