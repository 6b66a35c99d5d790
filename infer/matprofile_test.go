//go:build matprofile

package infer_test

import (
	"fmt"
	"os"
	"testing"

	"gocv.io/x/gocv"
)

// TestMain fails the run when a test leaves a gocv Mat open.
func TestMain(m *testing.M) {
	code := m.Run()
	if n := gocv.MatProfile.Count(); n != 0 && code == 0 {
		fmt.Fprintf(os.Stderr, "%d gocv Mats left open:\n", n)
		var b []byte
		buf := &writer{&b}
		gocv.MatProfile.WriteTo(buf, 1)
		os.Stderr.Write(b)
		code = 1
	}
	os.Exit(code)
}

type writer struct{ b *[]byte }

func (w *writer) Write(p []byte) (int, error) { *w.b = append(*w.b, p...); return len(p), nil }
