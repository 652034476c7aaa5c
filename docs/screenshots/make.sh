#!/usr/bin/env bash
# Remakes the README's pictures with the app's own --screenshot option (no display needed).
# Run from the repository root with the app installed: bash docs/screenshots/make.sh
set -euo pipefail
out=docs/screenshots
lessons=assets/lessons
app() { python -m gui "$@"; }
app "$lessons/spiral.json" --steps 2000 --quit-after 30 --size 1600x1000 --screenshot "$out/spiral.png"
app "$lessons/dying-relu.json" --steps 300 --quit-after 10 --size 1600x1000 \
    --screenshot "$out/neuron-curves.png"
app "$lessons/seed003-walkthrough.json" --phases 5 --size 1600x1000 \
    --screenshot "$out/phase-walk.png"
app "$lessons/seed003-walkthrough.json" --phases 5 --presentation --size 1920x1080 \
    --screenshot "$out/presentation.png"
app "$lessons/seed003-walkthrough.json" --phases 2 --presentation --size 1600x1000 \
    --screenshot "$out/notation.png"
app "$lessons/vanishing-sigmoid.json" --colour gradient --steps 1 --size 1600x1000 \
    --screenshot "$out/vanishing.png"
app "$lessons/vanishing-sigmoid.json" --steps 3 --phases 7 --show Activation --size 1600x1000 \
    --screenshot "$out/activation.png"
app "$lessons/vanishing-sigmoid.json" --phases 19 --paths 1,2,1 --size 1600x1000 \
    --screenshot "$out/paths.png"
app "$lessons/seed003-quiz.json" --phases 5 --size 1600x1000 --screenshot "$out/quiz.png"
app "$lessons/exploding-gradients.json" --compare "$lessons/exploding-gradients-clipped.json" \
    --play --quit-after 5 --size 1600x1000 --screenshot "$out/exploding-side-by-side.png"
app "$lessons/dying-relu.json" --steps 300 --show Health --quit-after 15 --size 1600x1000 \
    --screenshot "$out/health.png"
app "$lessons/overfitting-test-set.json" --play --quit-after 20 --size 1600x1000 \
    --screenshot "$out/test-set.png"
app "$lessons/recurrent/lstm-remembers.json" --steps 100 --phases 55 --size 1600x1000 \
    --screenshot "$out/recurrent-lstm.png"
