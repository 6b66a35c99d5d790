package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/internal/contract"
	"github.com/ferlive/ferlive/internal/evaluate"
	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/testkit/testenv"
	"github.com/ferlive/ferlive/testkit/testmodel"
)

// writeFaces writes n textured 48x48 images per label into
// dir/<label>/<prefix>_<i>.png.
func writeFaces(t *testing.T, dir, prefix string, labels []string, n int, r *rand.Rand) {
	t.Helper()
	for _, l := range labels {
		if err := os.MkdirAll(filepath.Join(dir, l), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			m := gocv.NewMatWithSize(48, 48, gocv.MatTypeCV8UC3)
			gocv.RandU(&m, gocv.NewScalar(0, 0, 0, 0), gocv.NewScalar(float64(80+r.Intn(170)), 255, 255, 0))
			gocv.GaussianBlur(m, &m, image.Pt(3, 3), 0, 0, gocv.BorderDefault)
			ok := gocv.IMWrite(filepath.Join(dir, l, fmt.Sprintf("%s_%d.png", prefix, i)), m)
			m.Close()
			if !ok {
				t.Fatalf("cannot write an image in %s", dir)
			}
		}
	}
}

// TestQuantizeCommand runs `ferlive quantize` as a user would: calibrate
// on one split, score another, write the int8 model and its card, then
// check the model with `ferlive eval` and that the float original is
// untouched.
func TestQuantizeCommand(t *testing.T) {
	testenv.ORT(t)
	dir := t.TempDir()
	spec := testmodel.DefaultSpec()
	model := filepath.Join(dir, "net.onnx")
	if err := testmodel.Write(model, spec, testmodel.Options{Widths: []int64{8, 16, 32}, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "faces")
	r := rand.New(rand.NewSource(1))
	writeFaces(t, data, "Cal", spec.Labels, 6, r)
	writeFaces(t, data, "Test", spec.Labels, 5, r)
	out, card := filepath.Join(dir, "net-int8.onnx"), filepath.Join(dir, "net-int8.md")
	stdout := captureStdout(t, func() error {
		return dispatch(context.Background(), []string{"quantize", "--model", model, "--data", data, "--split", "Cal",
			"--faces", "0", "--out", out, "--test-split", "Test", "--card", card, "--threads", "1"})
	})
	if !bytes.Contains(stdout, []byte("3 convolutions quantised")) || !bytes.Contains(stdout, []byte("calibrated on 42 faces")) {
		t.Errorf("output %q does not say what was quantised on how many faces", stdout)
	}
	if after, _ := os.ReadFile(model); !bytes.Equal(before, after) {
		t.Error("quantize changed the float model")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	q, err := onnx.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := q.Meta(contract.KeyQuant); !ok || !strings.Contains(v, "42 faces of faces (Cal)") {
		t.Errorf("%s = %q", contract.KeyQuant, v)
	}
	sp, err := contract.Parse(q.MetaMap())
	if err != nil {
		t.Fatal(err)
	}
	stated, err := strconv.ParseFloat(sp.Accuracy, 64)
	if err != nil {
		t.Fatalf("the int8 model states no accuracy: %q", sp.Accuracy)
	}

	// eval of the written model on the test split agrees with its metadata
	js := captureStdout(t, func() error {
		return dispatch(context.Background(), []string{"eval", "--model", out, "--data", data, "--split", "Test", "--json", "--threads", "1"})
	})
	var rep evaluate.Report
	if err := json.Unmarshal(js, &rep); err != nil {
		t.Fatalf("eval output %q: %v", js, err)
	}
	if rep.N != 35 || math.Abs(rep.Accuracy-stated) > 1e-4 {
		t.Errorf("eval: %.4f on %d images; the model states %.4f", rep.Accuracy, rep.N, stated)
	}

	text, err := os.ReadFile(card)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		fmt.Sprintf("Test accuracy, int8 (ONNX Runtime, runtime preprocessing) | **%.2f%%** (35 images)", 100*stated),
		"float32 original", "com.microsoft:QLinearConv 3", "calibration faces", "| happy | 5 |",
		"Time per face, int8 / float32", "ferlive quantize --model " + model,
	} {
		if !strings.Contains(string(text), want) {
			t.Errorf("card lacks %q:\n%s", want, text)
		}
	}
	png, err := os.ReadFile(filepath.Join(dir, "net-int8-confusion.png"))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("confusion PNG: %v", err)
	}

	// quantising the int8 model again is refused
	err = dispatch(context.Background(), []string{"quantize", "--model", out, "--data", data, "--split", "Cal", "--out", filepath.Join(dir, "twice.onnx")})
	if err == nil || !strings.Contains(err.Error(), out) || !strings.Contains(err.Error(), "already quantised") {
		t.Errorf("quantising twice: %v", err)
	}
}

// TestQuantizeBadInput: each mistake is one clear error naming the input,
// with a usage exit status for flag mistakes, and no model written.
func TestQuantizeBadInput(t *testing.T) {
	testenv.ORT(t)
	dir := t.TempDir()
	model := filepath.Join(dir, "net.onnx")
	if err := testmodel.Write(model, testmodel.DefaultSpec(), testmodel.Options{Widths: []int64{4}}); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "faces")
	writeFaces(t, data, "Cal", []string{"happy", "sad"}, 2, rand.New(rand.NewSource(2)))
	out := filepath.Join(dir, "out.onnx")
	cases := []struct {
		name  string
		args  []string
		names string
		code  int
	}{
		{"no data", []string{"--model", model}, "--data", 2},
		{"card without a test split", []string{"--model", model, "--data", data, "--card", filepath.Join(dir, "c.md")}, "--test-split", 2},
		{"test split is the calibration split", []string{"--model", model, "--data", data, "--split", "Cal", "--test-split", "Cal"}, "Cal", 2},
		{"test data without a test split", []string{"--model", model, "--data", data, "--test-data", data}, "--test-split", 2},
		{"negative faces", []string{"--model", model, "--data", data, "--faces", "-3"}, "-3", 2},
		{"missing data", []string{"--model", model, "--data", filepath.Join(dir, "nowhere")}, "nowhere", 1},
		{"empty split", []string{"--model", model, "--data", data, "--split", "Nope"}, "Nope", 1},
		{"missing model", []string{"--model", filepath.Join(dir, "gone.onnx"), "--data", data}, "gone.onnx", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := dispatch(context.Background(), append([]string{"quantize", "--out", out}, c.args...))
			if err == nil {
				t.Fatalf("no error for %v", c.args)
			}
			if !strings.Contains(err.Error(), c.names) {
				t.Errorf("error %q does not name %s", err, c.names)
			}
			if code := exitStatus(err); code != c.code {
				t.Errorf("exit status %d, want %d (error %v)", code, c.code, err)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("a model was written")
			}
		})
	}
}

// TestQuantizeOwnFolders: a user's own faces in train/ and test/ folders
// calibrate on one and score the other (--test-data, --test-split all).
func TestQuantizeOwnFolders(t *testing.T) {
	testenv.ORT(t)
	dir := t.TempDir()
	spec := testmodel.DefaultSpec()
	model := filepath.Join(dir, "net.onnx")
	if err := testmodel.Write(model, spec, testmodel.Options{Widths: []int64{8, 16}, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(3))
	writeFaces(t, filepath.Join(dir, "mine", "train"), "img", spec.Labels[:3], 4, r)
	writeFaces(t, filepath.Join(dir, "mine", "test"), "img", spec.Labels[:3], 3, r)
	out := filepath.Join(dir, "net-int8.onnx")
	stdout := captureStdout(t, func() error {
		return dispatch(context.Background(), []string{"quantize", "--model", model, "--data", filepath.Join(dir, "mine", "train"),
			"--test-data", filepath.Join(dir, "mine", "test"), "--test-split", "all", "--out", out, "--card", filepath.Join(dir, "c.md")})
	})
	if !bytes.Contains(stdout, []byte("calibrated on 12 faces")) || !bytes.Contains(stdout, []byte("(9 images)")) {
		t.Errorf("output %q: want 12 calibration faces from train/ and 9 test images from test/", stdout)
	}
}
