#!/usr/bin/env bash
# Walker2d-v5 TRPO expert: 5M environment steps, then 10 deterministic evaluation
# episodes and 25 demonstrations. Results: README, "Results".
set -euo pipefail
out=${1:-runs/expert_walker2d}
start=$(date +%s)
python -m gail_fast.train expert --env Walker2d-v5 --total-steps 5000000 --seed 0 --out "$out" "${@:2}"
echo "wall-clock: $(( $(date +%s) - start )) s"
python -m gail_fast.evaluate "$out" --episodes 10
python -m gail_fast.demos record "$out" --episodes 25 --out "$out/demos.npz"
