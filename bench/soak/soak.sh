#!/usr/bin/env bash
# Soak: run `ferlive live` (a -tags matprofile build) against a looping
# network camera (FFmpeg serving MJPEG over HTTP on a loopback port, the
# clip made from a shared photo) for SOAK (e.g. 60m), scrape its Prometheus
# metrics once a minute, and write a Markdown and a JSON report: RSS,
# goroutines, open gocv Mats, captured and processed frame rate per minute,
# reconnects and stalls, and the Mats still open at exit.
#
#   bench/soak/soak.sh BIN OUTDIR DURATION
#
# Everything it starts (the server loop, ferlive) is stopped by process id
# when it ends or is interrupted. Needs ffmpeg, curl and $FERLIVE_DATA.
set -euo pipefail
bin=${1:?ferlive binary (built with -tags matprofile)}
out=${2:?output folder}
dur=${3:-60m}
port=${SOAK_PORT:-18554}
mport=${SOAK_METRICS_PORT:-18555}
photo=${SOAK_PHOTO:-${FERLIVE_DATA:?set FERLIVE_DATA}/photos/two_people.jpg}
mkdir -p "$out"
secs=0
case $dur in *h) secs=$(( ${dur%h} * 3600 ));; *m) secs=$(( ${dur%m} * 60 ));; *s) secs=${dur%s};; esac
[ "$secs" -gt 0 ] || { echo "soak: duration $dur: want e.g. 60m, 2h or 90s" >&2; exit 2; }

# A 20 s, 15 fps, 640-wide clip of the photo panning slowly.
clip=$out/clip.mp4
ffmpeg -loglevel error -y -loop 1 -i "$photo" -t 20 -r 15 \
	-vf "scale=720:-2,crop=640:ih-16:x='40+40*sin(t/3)':y=8,format=yuv420p" "$clip"

url=http://127.0.0.1:$port/cam.mjpg
# FFmpeg's HTTP server serves one client; restart it whenever ferlive
# reconnects. setsid: the loop and its ffmpeg form one group, stopped by id.
setsid bash -c "while :; do ffmpeg -loglevel error -re -stream_loop -1 -i '$clip' -an -q:v 5 -f mpjpeg -listen 1 '$url'; sleep 0.2; done" \
	>"$out/server.log" 2>&1 &
srv=$!
fer=
cleanup() {
	[ -n "$fer" ] && kill -INT "$fer" 2>/dev/null && wait "$fer" 2>/dev/null || true
	kill -- -"$srv" 2>/dev/null || true
}
trap cleanup EXIT
sleep 2

"$bin" live --camera "$url" --headless --jsonl "$out/soak.jsonl" \
	--metrics-addr "127.0.0.1:$mport" >"$out/ferlive.log" 2>&1 &
fer=$!

metric() { awk -v n="$1" '$1 == n || index($1, n"{") == 1 { print $NF; exit }' "$2"; }
samples=$out/samples.tsv
printf 'minute\trss_kb\tgoroutines\topen_mats\tcamera_frames\tprocessed_frames\treconnects\tstalls\n' >"$samples"
start=$(date +%s)
for (( min = 0; ; min++ )); do
	if [ "$min" -gt 0 ]; then
		sleep $(( start + 60 * min - $(date +%s) > 0 ? start + 60 * min - $(date +%s) : 0 ))
	else
		sleep 5
	fi
	kill -0 "$fer" 2>/dev/null || { echo "soak: ferlive exited early (see $out/ferlive.log)" >&2; break; }
	rss=$(awk '/^VmRSS/ { print $2 }' /proc/"$fer"/status)
	curl -sf "http://127.0.0.1:$mport/metrics" >"$out/metrics.txt" || : >"$out/metrics.txt"
	printf '%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$min" "$rss" \
		"$(metric go_goroutines "$out/metrics.txt")" "$(metric ferlive_open_mats "$out/metrics.txt")" \
		"$(metric ferlive_camera_frames_total "$out/metrics.txt")" "$(metric ferlive_processed_frames_total "$out/metrics.txt")" \
		"$(metric ferlive_camera_reconnects_total "$out/metrics.txt")" "$(metric ferlive_camera_stalls_total "$out/metrics.txt")" >>"$samples"
	if [ $(( $(date +%s) - start )) -ge "$secs" ]; then break; fi
done
kill -INT "$fer" 2>/dev/null || true
status=0
wait "$fer" || status=$?
fer=
mats_exit=$(sed -n 's/.*matprofile: \([0-9]*\) gocv Mats open at exit.*/\1/p' "$out/ferlive.log" | tail -1)

# Report: per-minute rates from the counters' differences.
awk -F'\t' -v out="$out" -v dur="$dur" -v mats="${mats_exit:-?}" -v status="$status" -v cpus="$(nproc)" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" '
NR == 1 { next }
{ m[NR] = $1; rss[NR] = $2; gr[NR] = $3; om[NR] = $4; cf[NR] = $5; pf[NR] = $6; rc[NR] = $7; st[NR] = $8; n = NR }
END {
	md = out "/soak-report.md"; js = out "/soak-report.json"
	printf "# ferlive soak (%s)\n\n", dur > md
	printf "%d CPUs, load average at the end %s (the machine runs other jobs: frame rates are low and vary with them).\n", cpus, load > md
	printf "ferlive exit status after SIGINT: %s (130 = interrupted, outputs finalised); gocv Mats open at exit: %s.\n\n", status, mats > md
	printf "| minute | RSS MB | goroutines | open Mats | camera fps | processed fps | reconnects | stalls |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n" > md
	printf "{\"duration\":\"%s\",\"exit_status\":%s,\"mats_open_at_exit\":\"%s\",\"minutes\":[", dur, status, mats > js
	for (i = 2; i <= n; i++) {
		dt = (i == 2) ? 5 : 60 * (m[i] - m[i-1]); if (i == 2) { pc = 0; pp = 0 } else { pc = cf[i-1]; pp = pf[i-1] }
		cfps = dt > 0 ? (cf[i] - pc) / dt : 0; pfps = dt > 0 ? (pf[i] - pp) / dt : 0
		printf "| %d | %.1f | %s | %s | %.2f | %.2f | %s | %s |\n", m[i], rss[i] / 1024, gr[i], om[i], cfps, pfps, rc[i], st[i] > md
		printf "%s{\"minute\":%d,\"rss_kb\":%s,\"goroutines\":%s,\"open_mats\":%s,\"camera_fps\":%.3f,\"processed_fps\":%.3f,\"reconnects\":%s,\"stalls\":%s}", (i > 2 ? "," : ""), m[i], rss[i], gr[i] == "" ? "null" : gr[i], om[i] == "" ? "null" : om[i], cfps, pfps, rc[i] == "" ? "null" : rc[i], st[i] == "" ? "null" : st[i] > js
	}
	printf "]}\n" > js
	if (n >= 3) {
		base = rss[3]; last = rss[n]
		printf "\nRSS after the first minute %.1f MB, at the end %.1f MB (%+.1f%%).\n", base / 1024, last / 1024, 100 * (last - base) / base > md
	}
}' "$samples"
cat "$out/soak-report.md"
