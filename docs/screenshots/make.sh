#!/usr/bin/env bash
# Remakes the README's pictures with the app's own --screenshot option (no display needed).
# Run from the repository root with the app installed: bash docs/screenshots/make.sh
set -euo pipefail
out=docs/screenshots
lessons=assets/lessons
app() { python -m gui "$@"; }
app "$lessons/seed003-walkthrough.json" --phases 5 --size 1600x1000 --screenshot "$out/phase-walk.png"
app "$lessons/seed003-walkthrough.json" --phases 5 --presentation --size 1920x1080 \
    --screenshot "$out/presentation.png"
app bench/spiral.json --play --quit-after 8 --size 1600x1000 --screenshot "$out/spiral.png"
