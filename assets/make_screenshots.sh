#!/usr/bin/env bash
# The README's screenshots, made by the real app (headless) so they never go stale:
#   bash assets/make_screenshots.sh
set -euo pipefail
cd "$(dirname "$0")"
wdtui snapshot --preset sine --lambdas 0.01 0 --out sine.svg --size 120x40
wdtui snapshot --preset d2l --lambdas 3 0 --out d2l.svg --size 120x40
wdtui snapshot --preset quadratic --lambdas 0.1 0.01 --out quadratic.svg --size 120x40
wdtui snapshot --preset digits --lambdas 0.01 0 --out digits.svg --size 120x40
