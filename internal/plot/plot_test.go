package plot

import (
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestCurves(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.png")
	err := Curves(p, []Panel{
		{Title: "loss", YLabel: "ce", Series: []Series{{Name: "train", Color: color.Black, Y: []float64{1.9, 1.5, math.NaN(), 1.1}}}},
		{Title: "empty"},
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := im.Bounds(); b.Dx() != 2*560 || b.Dy() != 380 {
		t.Fatalf("size %v", b)
	}
}
