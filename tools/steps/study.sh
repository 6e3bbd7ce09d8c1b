#!/usr/bin/env bash
# The scaling study of models/steps/README.md: every method at n = 1, 2, 4, 8, 16, 32 on the 300 held-out chains,
# the plot, and the verifier on the step-level set. Results files go to .compose/steps-study; a run again resumes
# (finished items are not recomputed), so the table can be printed again for free.
# Usage (repository root): bash tools/steps/study.sh [methods...]   (default: vote best-of-n beam particles particles-entropic)
set -euo pipefail
cd "$(dirname "$0")/../.."
compose=(dotnet run -c Release --project src/Compose.Cli --)
p=benchmarks/steps/pipelines
methods=("${@:-vote best-of-n beam particles particles-entropic}")
files=()
for m in ${methods[*]}; do for n in 1 2 4 8 16 32; do files+=("$p/$m-$n.yaml"); done; done
"${compose[@]}" eval "${files[@]}" --benchmark benchmarks/steps/test.jsonl --scorer number --concurrency 32 \
  --out .compose/steps-study --plot models/steps/scaling.svg
"${compose[@]}" eval "$p/verifier.yaml" --benchmark benchmarks/steps/verify-steps.jsonl --scorer exact --concurrency 32 --out .compose/steps-study
# The same results again (resumed, nothing recomputed) as JSON, and the markdown tables of models/steps/README.md.
"${compose[@]}" eval "${files[@]}" --benchmark benchmarks/steps/test.jsonl --scorer number --out .compose/steps-study --json \
  > .compose/steps-study/summary.json
python3 tools/steps/table.py .compose/steps-study/summary.json
