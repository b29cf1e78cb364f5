#!/usr/bin/env bash
# Hopper-v5 TRPO expert: 3M environment steps, then 10 deterministic evaluation episodes
# and the 25 demonstrations the GAIL experiments imitate. Results: README, "Experts".
set -euo pipefail
out=${1:-runs/expert_hopper}
start=$(date +%s)
python -m gail_fast.train expert --env Hopper-v5 --total-steps 3000000 --seed 0 --out "$out"
echo "wall-clock: $(( $(date +%s) - start )) s"
python -m gail_fast.evaluate "$out" --episodes 10
python -m gail_fast.demos record "$out" --episodes 25 --out "$out/demos.npz"
