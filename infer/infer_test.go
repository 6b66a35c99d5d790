package infer_test

import (
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/infer"
	"github.com/ferlive/ferlive/internal/contract"
	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/internal/ort"
	"github.com/ferlive/ferlive/testkit/testenv"
	"github.com/ferlive/ferlive/testkit/testmodel"
)

func writeModel(t testing.TB, spec contract.Spec, o testmodel.Options) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "model.onnx")
	if err := testmodel.Write(p, spec, o); err != nil {
		t.Fatal(err)
	}
	return p
}

func open(t testing.TB, path string) *infer.Classifier {
	t.Helper()
	testenv.ORT(t)
	c, err := infer.Open(path, ort.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestRefusesBadModels(t *testing.T) {
	testenv.ORT(t)
	dir := t.TempDir()
	good := testmodel.Classifier(testmodel.DefaultSpec(), testmodel.Options{}).Encode()
	noMeta := writeModel(t, testmodel.DefaultSpec(), testmodel.Options{NoMeta: true})
	wrongSize := testmodel.DefaultSpec()
	m := testmodel.Classifier(wrongSize, testmodel.Options{})
	m.SetMeta(contract.KeySize, "64") // metadata disagrees with the graph's 48x48 input
	lying := filepath.Join(dir, "lying.onnx")
	if err := onnx.WriteFile(lying, m); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"empty.onnx": {}, "text.onnx": []byte("not a model at all"), "truncated.onnx": good[:len(good)/2]}
	cases := map[string]string{
		filepath.Join(dir, "missing.onnx"): "no such file",
		noMeta:                             "lacks ferlive.crop, ferlive.input, ferlive.labels",
		lying:                              "want [batch 1 64 64]",
	}
	for name, b := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		cases[p] = "not a valid ONNX model"
	}
	for path, want := range cases {
		_, err := infer.Open(path, ort.Options{})
		if err == nil {
			t.Errorf("%s: opened without error", path)
			continue
		}
		if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %q, want it to name the file and say %q", path, err, want)
		}
	}
}

func TestPreprocessFollowsContract(t *testing.T) {
	spec := testmodel.DefaultSpec()
	spec.Crop = contract.Crop{Scale: 1, DY: 0}
	c := open(t, writeModel(t, spec, testmodel.Options{}))
	frame := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(0, 0, 0, 0), 200, 300, gocv.MatTypeCV8UC3)
	defer frame.Close()
	// A 96x96 face region of uniform BGR (10, 200, 60): gray = 0.114*10 + 0.587*200 + 0.299*60.
	roi := frame.Region(image.Rect(100, 50, 196, 146))
	roi.SetTo(gocv.NewScalar(10, 200, 60, 0))
	roi.Close()
	batch, err := c.Preprocess(frame, []image.Rectangle{image.Rect(100, 50, 196, 146)})
	if err != nil {
		t.Fatal(err)
	}
	if len(batch) != 48*48 {
		t.Fatalf("batch has %d values, want %d", len(batch), 48*48)
	}
	gray := math.Round(0.114*10 + 0.587*200 + 0.299*60)
	want := float32((gray/255 - 0.5) / 0.25)
	for i, v := range batch {
		if math.Abs(float64(v-want)) > 0.02 {
			t.Fatalf("value %d = %v, want %v ((gray/255-mean)/std)", i, v, want)
		}
	}
}

func TestCropRectSquaresAndExpands(t *testing.T) {
	r := infer.CropRect(image.Rect(100, 100, 180, 200), contract.Crop{Scale: 1.5, DY: 0.1})
	if r.Dx() != 150 || r.Dy() != 150 {
		t.Fatalf("crop %v is not 150x150", r)
	}
	if cx, cy := (r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2; cx != 140 || cy != 165 {
		t.Fatalf("crop centre (%d,%d), want (140,165)", cx, cy)
	}
}

// TestBatchEqualsSingles checks that classifying all faces in one call gives
// what classifying them one by one gives, including faces cut by the edges.
func TestBatchEqualsSingles(t *testing.T) {
	c := open(t, writeModel(t, testmodel.DefaultSpec(), testmodel.Options{}))
	frame := gocv.NewMatWithSize(360, 640, gocv.MatTypeCV8UC3)
	defer frame.Close()
	gocv.RandU(&frame, gocv.NewScalar(0, 0, 0, 0), gocv.NewScalar(255, 255, 255, 0))
	boxes := []image.Rectangle{
		image.Rect(10, 10, 90, 100), image.Rect(300, 100, 420, 230),
		image.Rect(-20, 300, 40, 380), image.Rect(600, -10, 660, 50), // partly outside
	}
	all, err := c.Classify(frame, boxes)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(boxes) {
		t.Fatalf("%d results for %d faces", len(all), len(boxes))
	}
	for i, b := range boxes {
		one, err := c.Classify(frame, []image.Rectangle{b})
		if err != nil {
			t.Fatal(err)
		}
		var sum float32
		for k := range one[0] {
			sum += all[i][k]
			if d := math.Abs(float64(one[0][k] - all[i][k])); d > 1e-5 {
				t.Fatalf("face %d class %d: batch %v single %v", i, k, all[i][k], one[0][k])
			}
		}
		if math.Abs(float64(sum-1)) > 1e-4 {
			t.Fatalf("face %d probabilities sum to %v", i, sum)
		}
	}
	if _, err := c.Classify(frame, []image.Rectangle{image.Rect(700, 400, 800, 500)}); err == nil {
		t.Fatal("a box outside the frame was accepted")
	}
}

func TestLogitsModelGetsSoftmax(t *testing.T) {
	spec := testmodel.DefaultSpec()
	m := testmodel.Classifier(spec, testmodel.Options{})
	// Drop the final Softmax so the graph outputs logits, and say so.
	last := m.Graph.Nodes[len(m.Graph.Nodes)-1]
	m.Graph.Nodes = m.Graph.Nodes[:len(m.Graph.Nodes)-1]
	m.Graph.Nodes[len(m.Graph.Nodes)-1].Outputs[0] = last.Outputs[0]
	m.SetMeta(contract.KeyOutput, "logits")
	p := filepath.Join(t.TempDir(), "logits.onnx")
	if err := onnx.WriteFile(p, m); err != nil {
		t.Fatal(err)
	}
	c := open(t, p)
	frame := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(90, 120, 150, 0), 100, 100, gocv.MatTypeCV8UC3)
	defer frame.Close()
	res, err := c.Classify(frame, []image.Rectangle{image.Rect(20, 20, 80, 80)})
	if err != nil {
		t.Fatal(err)
	}
	var sum float32
	for _, v := range res[0] {
		if v < 0 || v > 1 {
			t.Fatalf("probability %v out of range", v)
		}
		sum += v
	}
	if math.Abs(float64(sum-1)) > 1e-4 {
		t.Fatalf("probabilities sum to %v", sum)
	}
}

func TestSmoother(t *testing.T) {
	s := infer.NewSmoother(0.5)
	a := s.Apply(1, []float32{1, 0})
	if a[0] != 1 {
		t.Fatalf("first frame changed: %v", a)
	}
	s.EndFrame()
	b := s.Apply(1, []float32{0, 1})
	if b[0] != 0.5 || b[1] != 0.5 {
		t.Fatalf("EMA gave %v, want [0.5 0.5]", b)
	}
	s.EndFrame()
	s.EndFrame() // track 1 unseen for a frame: forgotten
	c := s.Apply(1, []float32{0, 1})
	if c[1] != 1 {
		t.Fatalf("a forgotten track kept its history: %v", c)
	}
	off := infer.NewSmoother(0)
	off.Apply(2, []float32{1, 0})
	if d := off.Apply(2, []float32{0, 1}); d[1] != 1 {
		t.Fatalf("smoothing 0 changed probabilities: %v", d)
	}
}

// TestMirrorAveragesFaceAndMirror checks test-time mirroring: a face's
// result is the mean of the face's and its mirror image's, so a face and its
// mirror image get the same result, and the batch stays in face order.
func TestMirrorAveragesFaceAndMirror(t *testing.T) {
	c := open(t, writeModel(t, testmodel.DefaultSpec(), testmodel.Options{}))
	var faces, mirrors []gocv.Mat
	for i := range 3 {
		f := gocv.NewMatWithSize(48, 48, gocv.MatTypeCV8UC1)
		defer f.Close()
		gocv.RandU(&f, gocv.NewScalar(float64(20*i), 0, 0, 0), gocv.NewScalar(255, 0, 0, 0))
		m := gocv.NewMat()
		defer m.Close()
		gocv.Flip(f, &m, 1)
		faces, mirrors = append(faces, f), append(mirrors, m)
	}
	classify := func(imgs []gocv.Mat) [][]float32 {
		t.Helper()
		in, err := c.PreprocessImages(imgs)
		if err != nil {
			t.Fatal(err)
		}
		p, err := c.Run(in, len(imgs))
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != len(imgs) {
			t.Fatalf("%d results for %d faces", len(p), len(imgs))
		}
		return p
	}
	plain, flipped := classify(faces), classify(mirrors)
	c.SetMirror(true)
	both, bothFlipped := classify(faces), classify(mirrors)
	differs := false
	for i := range faces {
		for k := range plain[i] {
			want := (plain[i][k] + flipped[i][k]) / 2
			if d := math.Abs(float64(both[i][k] - want)); d > 1e-5 {
				t.Fatalf("face %d class %d: mirrored %v, want the mean of %v and %v", i, k, both[i][k], plain[i][k], flipped[i][k])
			}
			if d := math.Abs(float64(both[i][k] - bothFlipped[i][k])); d > 1e-5 {
				t.Fatalf("face %d class %d: %v for the face, %v for its mirror image", i, k, both[i][k], bothFlipped[i][k])
			}
			differs = differs || math.Abs(float64(plain[i][k]-flipped[i][k])) > 1e-3
		}
	}
	if !differs {
		t.Fatal("the test model gives a face and its mirror image the same result; the test proves nothing")
	}
}
