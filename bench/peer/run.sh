#!/usr/bin/env bash
# Side-by-side speed benchmark, one run: ferlive annotate (default flags,
# JSON Lines only) and the peer, @vladmandic/human (bench/peer/peer.js), on
# the same synthesised 640x360 clip with four faces. Prints frames with
# faces and fps of each, and the ratio.
#
#   bench/peer/run.sh FERLIVE_BINARY [FRAMES]
set -euo pipefail
bin=${1:?usage: run.sh FERLIVE_BINARY [FRAMES]}
frames=${2:-300}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
command -v node >/dev/null || { echo "bench-peer: node is not installed (apt-get install nodejs npm)"; exit 1; }
[ -d "$here/node_modules/@vladmandic/human" ] || { echo "bench-peer: run 'make bench-peer-deps' (npm ci in bench/peer) first"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
clip=$tmp/bench-640x360-4.mp4
(cd "$root" && go run ./bench/clip -out "$clip" -width 640 -height 360 -faces 4 -frames "$frames")
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"

s=$(date +%s.%N)
"$bin" annotate --input "$clip" --jsonl "$tmp/f.jsonl" --no-progress >/dev/null
e=$(date +%s.%N)
n=$(wc -l < "$tmp/f.jsonl")
withfaces=$(grep -vc '"faces":\[\]' "$tmp/f.jsonl" || true)
ffps=$(echo "$n / ($e - $s)" | bc -l)
printf 'ferlive (defaults): %d frames, %d with faces, %.1f fps (decode included)\n' "$n" "$withfaces" "$ffps"

out=$(node "$here/peer.js" "$clip" --json)
pfps=$(echo "$out" | sed -n 's/.*"fps":\([0-9.]*\).*/\1/p')
pwith=$(echo "$out" | sed -n 's/.*"frames_with_faces":\([0-9]*\).*/\1/p')
pn=$(echo "$out" | sed -n 's/.*"frames":\([0-9]*\).*/\1/p')
printf '@vladmandic/human 3.3.6 (wasm simd, 1 thread, BlazeFace + emotion): %d frames, %d with faces, %.1f fps (decode not counted)\n' "$pn" "$pwith" "$pfps"
printf 'ratio ferlive / peer: %.2fx fps; frames with faces %d / %d\n' "$(echo "$ffps / $pfps" | bc -l)" "$withfaces" "$pwith"
