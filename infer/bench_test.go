package infer_test

import (
	"fmt"
	"image"
	"os"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/infer"
	"github.com/ferlive/ferlive/internal/ort"
	"github.com/ferlive/ferlive/testkit/testenv"
	"github.com/ferlive/ferlive/testkit/testmodel"
)

// benchModels are $FERLIVE_BENCH_MODEL if set, else every shipped model the
// checkout holds, else a generated conv net.
func benchModels(b *testing.B) []string {
	if m := os.Getenv("FERLIVE_BENCH_MODEL"); m != "" {
		return []string{m}
	}
	var paths []string
	for _, s := range infer.Shipped {
		if p, err := infer.FindModel(s.Name, []string{filepath.Join("..", "assets", "models")}); err == nil {
			paths = append(paths, p)
		}
	}
	if len(paths) > 0 {
		return paths
	}
	b.Log("no shipped model: benchmarking a generated 3-layer conv net")
	return []string{writeModel(b, testmodel.DefaultSpec(), testmodel.Options{Widths: []int64{32, 64, 128}})}
}

// BenchmarkClassify measures, for each model of benchModels, one batched
// classification (preprocessing + ONNX Runtime) of 1, 4, 8 and 16 faces of
// a 1280x720 frame, and reports milliseconds per call and per face; the
// mirror rows do the same with test-time mirroring (SetMirror).
func BenchmarkClassify(b *testing.B) {
	testenv.ORT(b)
	for _, path := range benchModels(b) {
		benchClassify(b, path)
	}
}

func benchClassify(b *testing.B, path string) {
	for _, threads := range []int{1, 2} {
		c, err := infer.Open(path, ort.Options{Threads: threads})
		if err != nil {
			b.Fatal(err)
		}
		frame := gocv.NewMatWithSize(720, 1280, gocv.MatTypeCV8UC3)
		gocv.RandU(&frame, gocv.NewScalar(0, 0, 0, 0), gocv.NewScalar(255, 255, 255, 0))
		for _, run := range []struct {
			n      int
			mirror bool
		}{{1, false}, {4, false}, {8, false}, {16, false}, {1, true}, {8, true}} {
			n := run.n
			boxes := make([]image.Rectangle, n)
			for i := range boxes {
				x, y := 40+(i%8)*150, 80+(i/8)*300
				boxes[i] = image.Rect(x, y, x+120, y+140)
			}
			name := fmt.Sprintf("%s/threads%d/batch%d", filepath.Base(path), threads, n)
			if run.mirror {
				name += "/mirror"
			}
			c.SetMirror(run.mirror)
			b.Run(name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if _, err := c.Classify(frame, boxes); err != nil {
						b.Fatal(err)
					}
				}
				ms := float64(b.Elapsed().Microseconds()) / 1000 / float64(b.N)
				b.ReportMetric(ms, "ms/call")
				b.ReportMetric(ms/float64(n), "ms/face")
			})
		}
		frame.Close()
		c.Close()
	}
}
