package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/internal/emotion"
	"github.com/ferlive/ferlive/internal/shard"
	"github.com/ferlive/ferlive/testkit/synth"
	"github.com/ferlive/ferlive/testkit/testenv"
	"github.com/ferlive/ferlive/testkit/testmodel"
)

func readManifest(t *testing.T, path string) shardManifest {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m shardManifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// TestAnnotateShards annotates an archive of three videos as two shards,
// as two machines would: the manifests cover every video exactly once,
// each video has its outputs, and a rerun skips the complete ones and
// redoes one whose outputs were lost.
func TestAnnotateShards(t *testing.T) {
	bin, model := fleetFixtures(t)
	photos := filepath.Join(testenv.Data(t), "photos")
	archive, out := filepath.Join(t.TempDir(), "archive"), filepath.Join(t.TempDir(), "out")
	videos := []string{"a.mp4", "b.mp4", "season2/c.mp4"}
	for _, v := range videos {
		p := filepath.Join(archive, v)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if _, err := synth.Write(p, synth.Bench(320, 180, 1, 8), synth.PhotoFaces(photos)); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(archive, "notes.txt"), []byte("not a video"), 0o644)
	run := func(spec string) {
		t.Helper()
		cmd := exec.Command(bin, "annotate", "--input", archive, "--shard", spec, "--out-dir", out, "--model", model,
			"--detector", "haar", "--threads", "1", "--no-progress")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("--shard %s: %v\n%s", spec, err, b)
		}
	}
	run("0/2")
	run("1/2")
	seen := map[string]int{}
	for k := 0; k < 2; k++ {
		m := readManifest(t, filepath.Join(out, "manifest-"+strconv.Itoa(k)+"-of-2.json"))
		if !m.Done || m.Archive != 3 {
			t.Errorf("shard %d manifest: done %v, archive %d", k, m.Done, m.Archive)
		}
		for _, e := range m.Videos {
			seen[e.Input]++
			if e.Status != "done" || e.Frames != 8 {
				t.Errorf("shard %d: %+v", k, e)
			}
			if shard.Of(e.Input, 2) != k {
				t.Errorf("%s in shard %d, hashes to %d", e.Input, k, shard.Of(e.Input, 2))
			}
			for _, o := range e.Outputs {
				if st, err := os.Stat(filepath.Join(out, o)); err != nil || st.Size() == 0 {
					t.Errorf("output %s: %v", o, err)
				}
			}
		}
	}
	for _, v := range videos {
		if seen[v] != 1 {
			t.Errorf("%s annotated by %d shards, want 1", v, seen[v])
		}
	}
	if len(seen) != len(videos) {
		t.Errorf("shards covered %v", seen)
	}
	if n := len(readJSONL(t, filepath.Join(out, "season2", "c.jsonl"))); n != 8 {
		t.Errorf("season2/c.jsonl has %d frames, want 8", n)
	}
	// Rerun both shards after losing one output: only that video is redone.
	os.Remove(filepath.Join(out, "b.summary.json"))
	run("0/2")
	run("1/2")
	redone := 0
	for k := 0; k < 2; k++ {
		for _, e := range readManifest(t, filepath.Join(out, "manifest-"+strconv.Itoa(k)+"-of-2.json")).Videos {
			switch {
			case e.Input == "b.mp4" && e.Status == "done":
				redone++
			case e.Input != "b.mp4" && e.Status != "skipped":
				t.Errorf("rerun: %s %s, want skipped", e.Input, e.Status)
			}
		}
	}
	if redone != 1 {
		t.Errorf("b.mp4 redone %d times, want once", redone)
	}
}

// TestAnnotateShardFlags: the shard flags are checked before any work.
func TestAnnotateShardFlags(t *testing.T) {
	bin, _ := fleetFixtures(t)
	dir := t.TempDir()
	for _, c := range [][]string{
		{"--input", dir, "--shard", "2/2", "--out-dir", dir},
		{"--input", dir, "--shard", "0/2"},
		{"--input", dir, "--shard", "0/2", "--out-dir", dir, "--jsonl", "x"},
		{"--input", dir, "--shard", "0/2", "--out-dir", dir}, // no videos
		{"--input", "x.mp4", "--out-dir", dir, "--jsonl", "x"},
	} {
		out, err := exec.Command(bin, append([]string{"annotate"}, c...)...).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Errorf("%v: %v, want exit 2\n%s", c, err, out)
		}
	}
}

// TestKubernetesJobManifest: the example Indexed Job passes its completion
// index as K and its completions as N, and pod K covers shard K.
func TestKubernetesJobManifest(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "kubernetes", "annotate-job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	y := string(b)
	comp := regexp.MustCompile(`(?m)^\s+completions:\s*(\d+)`).FindStringSubmatch(y)
	arg := regexp.MustCompile(`--shard=\$\(JOB_COMPLETION_INDEX\)/(\d+)`).FindStringSubmatch(y)
	if comp == nil || arg == nil || comp[1] != arg[1] || !strings.Contains(y, "completionMode: Indexed") {
		t.Fatalf("Job manifest: completions %v, --shard %v: want an Indexed Job with --shard=$(JOB_COMPLETION_INDEX)/completions", comp, arg)
	}
	n, _ := strconv.Atoi(comp[1])
	var files []string
	for i := 0; i < 500; i++ {
		files = append(files, "v"+strconv.Itoa(i)+".mp4")
	}
	count := map[string]int{}
	for k := 0; k < n; k++ { // what pods 0..n-1 take
		spec, err := shard.Parse(strconv.Itoa(k) + "/" + arg[1])
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range shard.Select(files, spec) {
			count[f]++
		}
	}
	for _, f := range files {
		if count[f] != 1 {
			t.Fatalf("%s taken by %d pods", f, count[f])
		}
	}
}

// TestAnnotateTimelineStrip: with --timeline-strip the annotated video's
// bottom rows carry the live strip: at the right edge (now), an emotion's
// colour; without --output the flag is a usage error.
func TestAnnotateTimelineStrip(t *testing.T) {
	bin, model := fleetFixtures(t)
	dir := t.TempDir()
	clip, out := filepath.Join(dir, "in.mp4"), filepath.Join(dir, "out.mp4")
	if _, err := synth.Write(clip, synth.Bench(320, 180, 1, 15), synth.PhotoFaces(filepath.Join(testenv.Data(t), "photos"))); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command(bin, "annotate", "--input", clip, "--output", out, "--timeline-strip", "--model", model,
		"--detector", "haar", "--threads", "1", "--no-progress").CombinedOutput(); err != nil {
		t.Fatalf("annotate: %v\n%s", err, b)
	}
	vc, err := gocv.VideoCaptureFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer vc.Close()
	m := gocv.NewMat()
	defer m.Close()
	frames, near := 0, 0
	for vc.Read(&m) && !m.Empty() {
		frames++
		v := m.GetVecbAt(m.Rows()-4, m.Cols()-3) // BGR, inside the strip's last row at now
		for _, l := range testmodel.DefaultSpec().Labels {
			c := emotion.Color(l)
			if absDiff(v[2], c.R) < 40 && absDiff(v[1], c.G) < 40 && absDiff(v[0], c.B) < 40 {
				near++
				break
			}
		}
	}
	if frames != 15 || near < 10 {
		t.Errorf("%d frames, %d with an emotion colour at the strip's right edge; want 15 and most", frames, near)
	}
	b, err := exec.Command(bin, "annotate", "--input", clip, "--jsonl", filepath.Join(dir, "x.jsonl"), "--timeline-strip").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Errorf("--timeline-strip without --output: %v\n%s", err, b)
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}
