#!/usr/bin/env bash
# What messages nobody can receive cost a node while they wait: a `plexus dev` node (mesh on, no
# peers) takes 300 HTTP batches of 1,000 messages addressed to 1,000 subjects that no node
# announces. It holds them until its outbox is full (`outboxLimit`, 100,000; later batches get
# 503), then this prints the node's CPU over 20 idle seconds. Usage:
#   scripts/bench-unrouted-idle.sh [path/to/plexus]     (default: the release build, built first)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-}
if [ -z "$BIN" ]; then
  swift build -c release --product plexus >&2
  BIN=.build/release/plexus
fi
DATA=$(mktemp -d)
PORT=${PORT:-7711}
"$BIN" dev --http-port "$PORT" --mesh-port $((PORT + 100)) --data-dir "$DATA" --log-level warning > "$DATA/node.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.2; done
python3 - "$PORT" <<'PY'
import json, sys, urllib.request, urllib.error
port = sys.argv[1]
accepted = refused = 0
for n in range(300):
    batch = [{"topic": "t", "source_subject_id": "a", "destination_subject_ids": ["nobody-%d" % (i % 1000)],
              "data": {"batch": n, "i": i}} for i in range(1000)]
    request = urllib.request.Request("http://127.0.0.1:%s/v1/messages" % port, data=json.dumps(batch).encode(),
                                     headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request) as reply:
            accepted += reply.status == 202
    except urllib.error.HTTPError as error:
        refused += error.code == 503
print("batches accepted %d, refused with 503 (outbox full) %d" % (accepted, refused))
PY
sleep 3
TICKS=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
T0=$(cpu); sleep 20; T1=$(cpu)
HELD=$(curl -sf "http://127.0.0.1:$PORT/v1/routes" | python3 -c 'import json, sys; print(json.load(sys.stdin).get("outbox"))')
echo "held in the outbox: $HELD; node CPU over 20 idle seconds: $(python3 -c "print(round(($T1 - $T0) / $TICKS / 20, 3))") cores"
