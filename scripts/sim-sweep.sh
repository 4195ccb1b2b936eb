#!/usr/bin/env bash
# Runs scenarios over seeds beyond the shipped ones, one line per run: PASS/FAIL from
# `plexus sim`'s own exit status (1 when an assertion fails), a few key figures, and the
# assertions that failed. The verdict comes from the exit status, not from parsing a report:
# a sweep that parsed the wrong JSON field once reported every run as passing.
# Usage: scripts/sim-sweep.sh "routing-partition routing-relay-crash" "$(seq -s' ' 1 40)" [plexus]
set -uo pipefail
cd "$(dirname "$0")/.."
plexus=${3:-.build/release/plexus}
[ -x "$plexus" ] || swift build -c release --product plexus >/dev/null
failed=0
for scenario in $1; do
  for seed in $2; do
    out=$("$plexus" sim "simulations/$scenario.yaml" --seed "$seed" 2>&1)
    status=$?
    verdict=PASS
    if [ "$status" -ne 0 ]; then verdict="FAIL(exit $status)"; failed=$((failed + 1)); fi
    figures=$(grep -E '^ +(acked_lost|delivered_within_2s_ratio|route_agreement_seconds|failover_p99_seconds|bytes_per_node_s) ' <<<"$out" \
      | awk '{printf "%s=%s ", $1, $2}')
    fails=$(grep -F '[FAIL]' <<<"$out" | sed 's/^ *\[FAIL\] //' | paste -sd ';' -)
    echo "$scenario $seed $verdict $figures$fails"
  done
done
echo "runs failed: $failed"
[ "$failed" -eq 0 ]
