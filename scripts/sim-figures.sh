#!/usr/bin/env bash
# Reproduces the figures table of docs/simulations.md: builds the CLI in release mode and runs
# the scenarios at the sizes the targets name. Every run is deterministic: the same seed prints
# the same trace hash on any machine; only wall time and speed depend on the machine.
# Usage: scripts/sim-figures.sh [--long]   (--long adds the 10,000 node-hour loss runs, ~1.5 h)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product plexus >/dev/null
sim() { echo "== plexus sim $*"; .build/release/plexus sim "$@" || true; echo; }

sim simulations/join-wave.yaml                       # join visible, N = 50, 2 joins/s
sim simulations/scale.yaml --nodes 50                # starts, updates, crashes at N = 50
sim simulations/scale.yaml --nodes 500 --seed 1      # ... at N = 500
sim simulations/scale.yaml --nodes 1000 --seed 1     # ... at N = 1000 (the simulator's size target)
sim simulations/join-burst.yaml                      # burst of 10 joins/s, N = 100
sim simulations/update-storm.yaml                    # 100 writes/s, N = 50
sim simulations/crash-stop.yaml                      # kill -9, N = 100
sim simulations/crash-silent.yaml                    # silent failure, N = 100
sim simulations/pause-3s.yaml
sim simulations/pause-5s.yaml
sim simulations/pause-12s.yaml
sim simulations/partition-heal.yaml
sim simulations/steady-state.yaml                    # bandwidth, N = 50
sim simulations/steady-state.yaml --nodes 100 --duration 900s --measure-from 400s --seed 1
sim simulations/steady-state.yaml --nodes 500 --duration 2400s --measure-from 1800s --seed 1   # after link-health warm-up (~3N s)
for loss in 0 5 10; do sim simulations/loss-$loss.yaml; done
if [ "${1:-}" = "--long" ]; then
  for seed in 1 2 3 4 5 6 7 8 9 10; do
    for loss in 5 10; do sim simulations/loss-$loss.yaml --nodes 100 --duration 10h --seed $seed; done
  done
fi
