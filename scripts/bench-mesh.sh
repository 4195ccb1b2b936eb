#!/usr/bin/env bash
# Plexus vs HashiCorp Serf membership (join, failure detection, idle bytes per node at N = 5 and
# 20) and peer-link mTLS throughput: builds both release binaries and runs `plexus-bench mesh`.
# Installs serf and tcpdump/nftables with apt when missing (needs root, as for the byte counters).
# Extra arguments go to plexus-bench, e.g. scripts/bench-mesh.sh --sizes 5 --repeat 1
# Takes ~8 minutes. The report goes to stdout, progress to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v serf >/dev/null || need+=(serf)
command -v nft >/dev/null || need+=(nftables)
command -v tcpdump >/dev/null || need+=(tcpdump)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench-mesh: missing ${need[*]}; run as root or install them (apt-get install -y ${need[*]})" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# One product per `swift build`: SwiftPM takes a single --product.
swift build -c release --product plexus >/dev/null
swift build -c release --product plexus-bench >/dev/null

echo "load before: $(uptime)" >&2
status=0
.build/release/plexus-bench mesh "$@" || status=$?
echo "load after:  $(uptime)" >&2
# plexus-bench kills its children on exit, error and SIGINT/SIGTERM; only a SIGKILL of plexus-bench
# itself can leave some behind. Name them rather than kill by pattern (they may not be ours).
leftover=$(pgrep -f -a 'plexus-bench-mesh-plexus|serf agent -node=n[0-9]' || true)
if [ -n "$leftover" ]; then
  echo "bench-mesh: processes that look like leftovers of an interrupted run (kill by pid if they are):" >&2
  echo "$leftover" >&2
fi
exit $status
