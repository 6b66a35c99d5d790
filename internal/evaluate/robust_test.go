package evaluate_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferlive/ferlive/infer"
	"github.com/ferlive/ferlive/internal/degrade"
	"github.com/ferlive/ferlive/internal/evaluate"
	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/internal/ort"
	"github.com/ferlive/ferlive/testkit/testenv"
	"github.com/ferlive/ferlive/testkit/testmodel"
)

// TestRobustnessKnownAnswer runs the benchmark with a brightness classifier
// (class a dark, b mid, c bright) on uniform images: dimming moves faces to
// darker classes exactly as degrade.Dark predicts, while blur, contrast,
// small-face resampling and rotation cannot change a uniform image's class.
func TestRobustnessKnownAnswer(t *testing.T) {
	testenv.ORT(t)
	dir := t.TempDir()
	spec := testmodel.DefaultSpec()
	spec.Labels = []string{"a", "b", "c"}
	centres := []float64{30, 128, 220}
	model := filepath.Join(dir, "m.onnx")
	if err := onnx.WriteFile(model, testmodel.Brightness(spec, centres)); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	for i := 0; i < 3; i++ {
		for k, l := range spec.Labels {
			makeImage(t, filepath.Join(data, l, fmt.Sprintf("Test_%d.png", i)), centres[k])
		}
	}
	c, err := infer.Open(model, ort.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	list, err := evaluate.List(data, "", c.Labels())
	if err != nil {
		t.Fatal(err)
	}
	cors, err := degrade.Parse("dark,contrast,blur,small,rotate")
	if err != nil {
		t.Fatal(err)
	}
	var last int
	var done []string
	o := evaluate.RobustOptions{Corruptions: cors, Seed: 3, Batch: 4, Progress: func(done, total int) { last = done },
		Done: func(c evaluate.CorruptionResult) { done = append(done, c.Name) }}
	r, clean, err := evaluate.RunRobustness(context.Background(), c, list.Samples, o)
	if err != nil {
		t.Fatal(err)
	}
	if want := 9 * (1 + 5*3); last != want || o.Total(9) != want {
		t.Errorf("progress ended at %d of %d, want %d", last, o.Total(9), want)
	}
	if got := strings.Join(done, ","); got != "dark,contrast,blur,small,rotate" {
		t.Errorf("results reported as they came: %s, want each corruption once, in order", got)
	}
	if clean.Accuracy() != 1 || r.Clean.Accuracy != 1 || r.Clean.N != 9 {
		t.Fatalf("clean accuracy %v on %d images, want 1 on 9", r.Clean.Accuracy, r.Clean.N)
	}
	if len(r.Corruptions) != 5 {
		t.Fatalf("%d corruptions reported, want 5", len(r.Corruptions))
	}
	dark, _ := degrade.Lookup("dark")
	var sum float64
	for _, res := range r.Corruptions {
		if len(res.Severities) != 3 {
			t.Fatalf("%s: %d severities, want 3", res.Name, len(res.Severities))
		}
		var mean float64
		for _, s := range res.Severities {
			want := 1.0
			if res.Name == "dark" {
				// which uniform images stay nearest their own centre
				right := 0
				for k, g := range centres {
					img := degrade.NewGray(1, 1, []uint8{uint8(g)})
					if err := dark.Apply(img, s.Severity, 0); err != nil {
						t.Fatal(err)
					}
					best := 0
					for j := range centres {
						if math.Abs(float64(img.Pix[0])-centres[j]) < math.Abs(float64(img.Pix[0])-centres[best]) {
							best = j
						}
					}
					if best == k {
						right++
					}
				}
				want = float64(right) / 3
			}
			if math.Abs(s.Accuracy-want) > 1e-9 {
				t.Errorf("%s severity %d (%s): accuracy %.4f, want %.4f", res.Name, s.Severity, s.Params, s.Accuracy, want)
			}
			mean += s.Accuracy / 3
			sum += s.Accuracy
		}
		if math.Abs(res.Mean-mean) > 1e-9 {
			t.Errorf("%s: mean %.4f, want %.4f", res.Name, res.Mean, mean)
		}
	}
	if r.Corruptions[0].Mean >= 1 {
		t.Errorf("dark did not lower the accuracy of a brightness classifier: %+v", r.Corruptions[0])
	}
	if math.Abs(r.MeanCorrupted-sum/15) > 1e-9 || math.Abs(r.Drop-(1-r.MeanCorrupted)) > 1e-9 || r.Worst != "dark" {
		t.Errorf("mean corrupted %.4f (want %.4f), drop %.4f, worst %q (want dark)", r.MeanCorrupted, sum/15, r.Drop, r.Worst)
	}
	md := r.Markdown()
	for _, s := range []string{"| dark |", "| rotate |", "mean corrupted", "gain 0.35, gamma 1.6", "100.00%"} {
		if !strings.Contains(md, s) {
			t.Errorf("markdown lacks %q:\n%s", s, md)
		}
	}
	// the same seed gives the same report
	r2, _, err := evaluate.RunRobustness(context.Background(), c, list.Samples, evaluate.RobustOptions{Corruptions: cors, Seed: 3, Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := r.WriteJSON(&a); err != nil {
		t.Fatal(err)
	}
	if err := r2.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Errorf("two runs with seed 3 (batch 4 and 2) differ:\n%s\n%s", a.String(), b.String())
	}
}
