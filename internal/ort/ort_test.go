package ort_test

import (
	"path/filepath"
	"strings"
	"testing"

	ortgo "github.com/yalue/onnxruntime_go"

	"github.com/ferlive/ferlive/internal/ort"
	"github.com/ferlive/ferlive/testkit/testenv"
	"github.com/ferlive/ferlive/testkit/testmodel"
)

func TestSessionRunsGeneratedModel(t *testing.T) {
	testenv.ORT(t)
	path := filepath.Join(t.TempDir(), "m.onnx")
	if err := testmodel.Write(path, testmodel.DefaultSpec(), testmodel.Options{}); err != nil {
		t.Fatal(err)
	}
	s, err := ort.NewSession(path, ort.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, n := range []int64{1, 3} {
		in, err := ortgo.NewTensor(ortgo.NewShape(n, 1, 48, 48), make([]float32, n*48*48))
		if err != nil {
			t.Fatal(err)
		}
		outs := []ortgo.Value{nil}
		if err := s.Run([]ortgo.Value{in}, outs); err != nil {
			t.Fatal(err)
		}
		probs := outs[0].(*ortgo.Tensor[float32]).GetData()
		if len(probs) != int(n)*7 {
			t.Fatalf("batch %d: %d outputs", n, len(probs))
		}
		var sum float32
		for _, p := range probs[:7] {
			sum += p
		}
		if sum < 0.999 || sum > 1.001 {
			t.Fatalf("softmax row sums to %v", sum)
		}
		in.Destroy()
		outs[0].Destroy()
	}
}

func TestDeviceErrors(t *testing.T) {
	testenv.ORT(t)
	path := filepath.Join(t.TempDir(), "m.onnx")
	if err := testmodel.Write(path, testmodel.DefaultSpec(), testmodel.Options{}); err != nil {
		t.Fatal(err)
	}
	for dev, want := range map[string]string{"cuda": "cannot use CUDA", "tensorrt": "cannot use TensorRT", "tpu": "want one of cpu, cuda, tensorrt"} {
		_, err := ort.NewSession(path, ort.Options{Device: dev})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("device %s: error %v, want it to say %q", dev, err, want)
		}
	}
}

func TestMissingLibraryIsNamed(t *testing.T) {
	_, err := ort.FindLibrary("/nonexistent/libonnxruntime.so.1", "")
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/libonnxruntime.so.1") {
		t.Fatalf("error %v does not name the library", err)
	}
}

// The default divides the cores among the concurrent stages (detect and
// classify), never below one thread, and an explicit count is kept, with
// spinning off when the stages then oversubscribe the cores.
func TestStageThreads(t *testing.T) {
	cases := []struct {
		threads, cores, stages int
		intra                  int
		noSpin                 bool
	}{
		{0, 1, 2, 1, false},
		{0, 2, 2, 1, false},
		{0, 4, 2, 2, false},
		{0, 6, 2, 3, false},
		{0, 8, 2, 4, false},
		{0, 8, 1, 8, false},
		{0, 0, 0, 1, false},
		{1, 2, 2, 1, false},
		{2, 2, 2, 2, true},
		{2, 4, 2, 2, false},
		{4, 2, 1, 4, true},
	}
	for _, c := range cases {
		intra, noSpin := ort.StageThreads(c.threads, c.cores, c.stages)
		if intra != c.intra || noSpin != c.noSpin {
			t.Errorf("StageThreads(threads %d, cores %d, stages %d) = %d threads, noSpin %v; want %d, %v",
				c.threads, c.cores, c.stages, intra, noSpin, c.intra, c.noSpin)
		}
	}
}
