#!/usr/bin/env bash
# Trains two candidate step models side by side on one GPU (the shipped one was made this way on an H200; see
# models/steps/README.md), then packs each run's log and its last three checkpoints into $OUT.
# Usage (from the repository root): OUT=/some/folder bash tools/steps/device-train.sh [seconds per run]
set -uo pipefail
budget=${1:-390}
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
"${PYTHON:-python3}" -c "import torch; print('torch', torch.__version__, torch.cuda.is_available())"
run() {
  local name=$1; shift
  "${PYTHON:-python3}" tools/steps/train.py --out /tmp/steps-$name --benchmark-dir /tmp/steps-$name/bench --time-budget "$budget" --workers 7 "$@" \
    > "$OUT/$name.log" 2>&1
  echo "$name exit $?" >> "$OUT/$name.log"
  local last
  last=$(ls -d /tmp/steps-$name/step* | sort | tail -3 | xargs -n1 basename)
  tar czf "$OUT/$name.tgz" -C /tmp/steps-$name train.log valid.jsonl $last
}
run noise20 --step-noise 0.2 &
run noise30 --step-noise 0.3 &
wait
cmp /tmp/steps-noise20/bench/test.jsonl benchmarks/steps/test.jsonl && echo "benchmark files identical to the repository's"
ls -la "$OUT"
for f in "$OUT"/*.log; do tail -n 4 "$f"; done
