// Package testenv locates the shared test data (datasets, photos, detector
// models) and the ONNX Runtime library for tests, skipping with a reason
// where they are absent. Tests never reach the network.
package testenv

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ferlive/ferlive/internal/ort"
	"github.com/ferlive/ferlive/internal/tfjs"
)

// EnvData names the shared data folder (../shared/data in a checkout).
const EnvData = "FERLIVE_DATA"

// EnvModels names the shared detector models folder (../shared/models).
const EnvModels = "FERLIVE_MODELS"

// Data returns $FERLIVE_DATA or skips the test.
func Data(t testing.TB) string {
	t.Helper()
	d := os.Getenv(EnvData)
	if d == "" {
		t.Skipf("$%s is not set: the shared datasets and photos are absent", EnvData)
	}
	if _, err := os.Stat(d); err != nil {
		t.Skipf("$%s=%s is absent: %v", EnvData, d, err)
	}
	return d
}

// Photo returns the path of a shared photo, or skips.
func Photo(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(Data(t), "photos", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared photo %s is absent: %v", p, err)
	}
	return p
}

// Models returns the shared detector models folder ($FERLIVE_MODELS, or
// models/ beside $FERLIVE_DATA), or skips.
func Models(t testing.TB) string {
	t.Helper()
	d := os.Getenv(EnvModels)
	if d == "" {
		if data := os.Getenv(EnvData); data != "" {
			d = filepath.Join(filepath.Dir(filepath.Clean(data)), "models")
		}
	}
	if d == "" {
		t.Skipf("$%s / $%s are not set: the shared detector models are absent", EnvModels, EnvData)
	}
	if _, err := os.Stat(d); err != nil {
		t.Skipf("shared models folder %s is absent: %v", d, err)
	}
	return d
}

// Model returns the path of a shared detector model, or skips.
func Model(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(Models(t), rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared model %s is absent: %v", p, err)
	}
	return p
}

// ORT initialises ONNX Runtime for the test; it fails (does not skip) when
// the library cannot be found, since `make deps` installs it.
func ORT(t testing.TB) {
	t.Helper()
	if err := ort.InitDefault("", ""); err != nil {
		t.Fatalf("ONNX Runtime: %v", err)
	}
}

// BlazeFace returns the BlazeFace ONNX model that `make models` installs
// (.deps/models/blazeface/blazeface.onnx in the checkout holding the
// working directory), or else converts the TensorFlow.js copy of the shared
// models folder (blazeface/blazeface.json) into the test's temporary
// folder; it skips when neither exists.
func BlazeFace(t testing.TB) string {
	t.Helper()
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			p := filepath.Join(d, ".deps", "models", "blazeface", "blazeface.onnx")
			if _, err := os.Stat(p); err == nil {
				return p
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	src := Model(t, filepath.Join("blazeface", "blazeface.json"))
	out := filepath.Join(t.TempDir(), "blazeface.onnx")
	if err := tfjs.ConvertFile(src, out, tfjs.ConvertOptions{NCHW: true, FreeSize: true}); err != nil {
		t.Fatalf("converting %s: %v", src, err)
	}
	return out
}
