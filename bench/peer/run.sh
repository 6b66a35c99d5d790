#!/usr/bin/env bash
# Side-by-side speed benchmark, one run: ferlive annotate (default flags,
# JSON Lines only) and the peer, @vladmandic/human (bench/peer/peer.js), on
# the same synthesised 640x360 clips, alternated ROUNDS times (ferlive,
# peer, ferlive, peer, ...) so that a machine whose speed drifts moves both
# alike. Prints, per clip and round, frames with faces and fps of each and
# their ratio, then the median ratio and the face-frame recall relative to
# the peer (of the faces the peer found, the share ferlive found too).
#
#   bench/peer/run.sh FERLIVE_BINARY [FRAMES]
#
# Environment: SCENES (default "bench laughing": four moving faces; five
# laughing faces in dim light, see bench/clip), ROUNDS (default 3),
# FERLIVE_FLAGS (extra annotate flags, e.g. a shortcut; default none).
set -euo pipefail
bin=${1:?usage: run.sh FERLIVE_BINARY [FRAMES]}
frames=${2:-300}
scenes=${SCENES:-bench laughing}
rounds=${ROUNDS:-3}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
command -v node >/dev/null || { echo "bench-peer: node is not installed (apt-get install nodejs npm)"; exit 1; }
[ -d "$here/node_modules/@vladmandic/human" ] || { echo "bench-peer: run 'make bench-peer-deps' (npm ci in bench/peer) first"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores; ferlive flags: ${FERLIVE_FLAGS:-(defaults)}"

median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

for scene in $scenes; do
	clip=$tmp/$scene.mp4
	(cd "$root" && go run ./bench/clip -out "$clip" -scene "$scene" -width 640 -height 360 -faces 4 -frames "$frames")
	ratios=()
	for r in $(seq 1 "$rounds"); do
		s=$(date +%s.%N)
		# shellcheck disable=SC2086
		"$bin" annotate --input "$clip" --jsonl "$tmp/f.jsonl" --no-progress ${FERLIVE_FLAGS:-} >/dev/null
		e=$(date +%s.%N)
		n=$(wc -l < "$tmp/f.jsonl")
		withfaces=$(grep -vc '"faces":\[\]' "$tmp/f.jsonl" || true)
		ffps=$(echo "$n / ($e - $s)" | bc -l)

		out=$(node "$here/peer.js" "$clip" --json --compare "$tmp/f.jsonl")
		field() { echo "$out" | sed -n "s/.*\"$1\":\([0-9.e-]*\).*/\1/p"; }
		pfps=$(field fps)
		ratio=$(echo "$ffps / $pfps" | bc -l)
		ratios+=("$ratio")
		printf '%s round %d: ferlive %d frames, %d with faces, %.1f fps (decode included) | peer %d frames, %d with faces, %.1f fps (decode not counted) | ratio %.2fx\n' \
			"$scene" "$r" "$n" "$withfaces" "$ffps" "$(field frames)" "$(field frames_with_faces)" "$pfps" "$ratio"
	done
	printf '%s: median ratio ferlive / peer %.2fx over %d rounds; face-frames: ferlive found %d of the peer'"'"'s %d (recall %.1f%%), %d found by ferlive only\n' \
		"$scene" "$(printf '%s\n' "${ratios[@]}" | median)" "$rounds" "$(field compare_found)" "$(field compare_peer_faces)" \
		"$(echo "100 * $(field compare_recall)" | bc -l)" "$(field compare_ferlive_only)"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
