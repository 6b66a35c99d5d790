package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferlive/ferlive/internal/latency"
	"github.com/ferlive/ferlive/testkit/synth"
	"github.com/ferlive/ferlive/testkit/testenv"
)

// BenchmarkAnnotate runs `ferlive annotate` on synthesised clips (640x360
// and 1280x720, 1 and 4 faces) with each detector, writing JSON Lines only
// or also the annotated video, and reports the throughput (fps), the mean
// milliseconds of every stage and the detection recall against the known
// face positions (share of true face-frames matched with IoU >= 0.5).
// Use -benchtime 1x: one iteration annotates the whole clip.
func BenchmarkAnnotate(b *testing.B) {
	model, _, _ := e2eFixtures(b)
	photos := filepath.Join(testenv.Data(b), "photos")
	if m := os.Getenv("FERLIVE_BENCH_MODEL"); m != "" {
		model = m
	}
	dir := b.TempDir()
	const frames = 150
	type clip struct {
		name  string
		path  string
		truth []synth.Truth
	}
	var clips []clip
	for _, size := range [][2]int{{640, 360}, {1280, 720}} {
		for _, faces := range []int{1, 4} {
			name := fmt.Sprintf("%dx%d/%dface", size[0], size[1], faces)
			p := filepath.Join(dir, fmt.Sprintf("%dx%d-%d.mp4", size[0], size[1], faces))
			truth, err := synth.Write(p, synth.Bench(size[0], size[1], faces, frames), synth.PhotoFaces(photos))
			if err != nil {
				b.Fatal(err)
			}
			clips = append(clips, clip{name, p, truth})
		}
	}
	type variant struct {
		name     string
		every    int
		noRefine bool
	}
	for _, c := range clips {
		for _, dc := range detectorCases(b) {
			for _, v := range []variant{{"every1", 1, false}, {"every3", 3, false}, {"every3-norefine", 3, true}} {
				for _, withVideo := range []bool{false, true} {
					out := "jsonl"
					if withVideo {
						out = "video"
					}
					b.Run(fmt.Sprintf("%s/%s/%s/%s", c.name, dc.name, v.name, out), func(b *testing.B) {
						for i := 0; i < b.N; i++ {
							j := annotateJob{input: c.path, noProg: true}
							j.f = runtimeFlags{model: model, detector: dc.kind, detModel: dc.model, detectEvery: v.every, noRefine: v.noRefine,
								device: "cpu", jsonl: filepath.Join(dir, "out.jsonl")}
							if withVideo {
								j.output = filepath.Join(dir, "out.mp4")
							}
							stats, err := j.run(context.Background())
							if err != nil {
								b.Fatal(err)
							}
							if i == b.N-1 {
								reportStats(b, stats, frames)
								recall, _, _ := scoreRun(c.truth, readJSONL(b, j.f.jsonl))
								b.ReportMetric(100*recall, "recall%")
							}
						}
					})
				}
			}
		}
	}
}

func reportStats(b *testing.B, stats *latency.Recorder, frames int) {
	n, fps := stats.Frames()
	if n != frames {
		b.Fatalf("%d frames processed, want %d", n, frames)
	}
	b.ReportMetric(fps, "fps")
	for _, s := range stats.Stats() {
		if s.Name != latency.Total {
			b.ReportMetric(s.Mean, s.Name+"-ms")
		}
	}
	b.ReportMetric(0, "ns/op") // the whole-clip time is not the figure of interest
}
