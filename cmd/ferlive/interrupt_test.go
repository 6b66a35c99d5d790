package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferlive/ferlive/testkit/synth"
	"github.com/ferlive/ferlive/testkit/testenv"
)

// TestInterruptFinalisesOutputs sends SIGINT to `ferlive annotate` mid-file:
// it must exit with status 130, leave a playable video, and the video, the
// JSON Lines and the CSV must hold the same processed frames.
func TestInterruptFinalisesOutputs(t *testing.T) {
	model, _, _ := e2eFixtures(t)
	photos := filepath.Join(testenv.Data(t), "photos")
	dir := t.TempDir()
	clip := filepath.Join(dir, "long.mp4")
	if _, err := synth.Write(clip, synth.Bench(640, 360, 1, 600), synth.PhotoFaces(photos)); err != nil {
		t.Fatal(err)
	}
	bin := buildBinary(t, dir)
	out, jl := filepath.Join(dir, "out.mp4"), filepath.Join(dir, "out.jsonl")
	sum, tl := filepath.Join(dir, "summary.json"), filepath.Join(dir, "timeline.png")
	cmd := exec.Command(bin, "annotate", "--input", clip, "--output", out, "--jsonl", jl, "--model", model, "--threads", "1",
		"--summary", sum, "--timeline", tl)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(60 * time.Second)
	for countLinesIfExists(jl) < 30 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("after SIGINT: %v, want exit status 130; stderr:\n%s", err, stderr.String())
	}
	frames := readJSONL(t, jl)
	if len(frames) < 30 || len(frames) >= 600 {
		t.Fatalf("%d frames written, want the ones processed before the signal", len(frames))
	}
	checkVideo(t, out, 640, 360, 25, len(frames))
	if s := readSummary(t, sum); s.Frames != len(frames) {
		t.Errorf("summary covers %d frames, the JSON Lines %d", s.Frames, len(frames))
	}
	decodePNG(t, tl)
}

// TestTruncatedVideoMidFile annotates a video cut in the middle of its
// data: whatever happens, the frames processed are all in the outputs and
// the video is playable.
func TestTruncatedVideoMidFile(t *testing.T) {
	model, _, _ := e2eFixtures(t)
	photos := filepath.Join(testenv.Data(t), "photos")
	dir := t.TempDir()
	clip := filepath.Join(dir, "clip.avi")
	if _, err := synth.Write(clip, synth.Bench(320, 240, 1, 100), synth.PhotoFaces(photos)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(clip)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.avi")
	if err := os.WriteFile(cut, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	out, jl := filepath.Join(dir, "out.avi"), filepath.Join(dir, "out.jsonl")
	runErr := dispatch(context.Background(), []string{"annotate", "--input", cut, "--output", out, "--jsonl", jl, "--model", model, "--no-progress"})
	frames := readJSONL(t, jl)
	t.Logf("truncated AVI: %d frames processed, error: %v", len(frames), runErr)
	if runErr != nil && !strings.Contains(runErr.Error(), cut) {
		t.Errorf("error %q does not name the input", runErr)
	}
	if len(frames) == 0 || len(frames) >= 100 {
		t.Fatalf("%d frames from a file cut in half", len(frames))
	}
	checkVideo(t, out, 320, 240, 25, len(frames))
}
