#!/usr/bin/env bash
# The console's own memory in a real window: start it under Xvfb (software OpenGL) on a
# database, wait, and print its resident memory now and at its peak (VmRSS, VmHWM), with
# the largest mappings by resident size.
#
#   benches/window_memory.sh BINARY DB [SECONDS]     (default 25 s)
set -euo pipefail
bin=${1:?usage: window_memory.sh BINARY DB [SECONDS]}
db=${2:?usage: window_memory.sh BINARY DB [SECONDS]}
wait_s=${3:-25}
command -v Xvfb >/dev/null || { echo "needs Xvfb (apt install xvfb)" >&2; exit 2; }
d=91
while [[ -e /tmp/.X11-unix/X$d || -e /tmp/.X$d-lock ]]; do d=$((d + 1)); done
work=$(mktemp -d)
chmod 700 "$work"
Xvfb ":$d" -screen 0 1600x1000x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
xvfb=$!
trap 'kill "${app:-0}" "$xvfb" 2>/dev/null || true; rm -rf "$work"' EXIT
sleep 1
# PREFS=app.ron: start with these console settings (layers, zoom, view)
if [[ -n ${PREFS:-} ]]; then
  mkdir -p "$work/.local/share/heatdesk"
  cp "$PREFS" "$work/.local/share/heatdesk/app.ron"
fi
DISPLAY=":$d" XDG_RUNTIME_DIR="$work" HOME="$work" LIBGL_ALWAYS_SOFTWARE=1 \
  "$bin" --db "$db" >"$work/app.log" 2>&1 &
app=$!
sleep "$wait_s"
kill -0 "$app" 2>/dev/null || { echo "the console exited:"; cat "$work/app.log"; exit 1; }
grep -E 'VmRSS|VmHWM' "/proc/$app/status"
echo "largest mappings (resident kB):"
awk '/^[0-9a-f]+-[0-9a-f]+ /{name=$6} /^Rss:/{rss[name]+=$2} END{for (n in rss) print rss[n], (n==""?"[anon]":n)}' \
  "/proc/$app/smaps" | sort -rn | head -8
