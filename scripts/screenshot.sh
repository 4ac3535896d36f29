#!/usr/bin/env bash
# Screenshot of a report with headless Chromium (Debian package `chromium`):
#   scripts/screenshot.sh REPORT.html OUT.png [WIDTH,HEIGHT]
# The report draws its charts with its inlined Vega runtime; --virtual-time-budget
# lets them finish. When ImageMagick is there, the PNG is reduced to 256 colours
# (a report is flat colours and text) to keep it small.
set -euo pipefail
report=$(realpath "$1")
out=$2
size=${3:-1400,2400}
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$profile" --window-size="$size" \
  --virtual-time-budget=8000 --screenshot="$profile/shot.png" "file://$report" >/dev/null 2>&1
if command -v convert >/dev/null; then
  convert "$profile/shot.png" -strip -colors 256 "PNG8:$out"
else
  cp "$profile/shot.png" "$out"
fi
echo "$out: $(stat -c %s "$out") bytes"
