#!/usr/bin/env bash
# Store-and-forward between real node processes over mutual TLS, in one run of `plexus-bench routing`:
# the raw limit of one peer link and of the routing core, node→node forwarding msgs/s next to the
# origin's ingest alone, n1→n2→n3 latency at a paced 10,000 msgs/s, and the NATS reference (A→B→C
# through a leaf-node hub) measured the same way. Builds both release binaries; installs nats-server
# with apt when missing (needs root; or pass --skip-nats).
# Extra arguments go to plexus-bench, e.g. scripts/bench-routing.sh --seconds 20 --synchronous normal
# Takes ~2.5 minutes. The report goes to stdout, progress to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v nats-server >/dev/null && [[ " $* " != *" --skip-nats "* ]]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench-routing: nats-server missing; run as root, install it (apt-get install -y nats-server) or pass --skip-nats" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null
fi

# One product per `swift build`: SwiftPM takes a single --product.
swift build -c release --product plexus >/dev/null
swift build -c release --product plexus-bench >/dev/null

echo "load before: $(uptime)" >&2
status=0
.build/release/plexus-bench routing "$@" || status=$?
echo "load after:  $(uptime)" >&2
# plexus-bench kills its children on exit, error and SIGINT/SIGTERM; only a SIGKILL of plexus-bench
# itself can leave some behind. Name them rather than kill by pattern (they may not be ours).
leftover=$(pgrep -f -a 'plexus-bench-routing-|plexus-bench-nats-' || true)
if [ -n "$leftover" ]; then
  echo "bench-routing: processes that look like leftovers of an interrupted run (kill by pid if they are):" >&2
  echo "$leftover" >&2
fi
exit $status
