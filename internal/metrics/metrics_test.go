package metrics

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfusion(t *testing.T) {
	c := NewConfusion([]string{"a", "b", "c"})
	for _, p := range [][2]int{{0, 0}, {0, 0}, {0, 1}, {1, 1}, {2, 0}, {2, 2}} {
		c.Add(p[0], p[1])
	}
	if c.N() != 6 || c.Accuracy() != 4.0/6 {
		t.Fatalf("n %d accuracy %v", c.N(), c.Accuracy())
	}
	pc := c.PerClass()
	if pc[0] != 2.0/3 || pc[1] != 1 || pc[2] != 0.5 {
		t.Fatalf("per class %v", pc)
	}
	if m := c.MeanClassAccuracy(); m < 0.722 || m > 0.723 {
		t.Fatalf("mean class accuracy %v", m)
	}
	var b bytes.Buffer
	c.WriteTable(&b)
	if !strings.Contains(b.String(), "accuracy 0.6667 (6 samples)") {
		t.Fatalf("table %q", b.String())
	}
	if md := c.Markdown(); !strings.Contains(md, "| c | 1 | 0 | 1 |") {
		t.Fatalf("markdown %q", md)
	}
	p := filepath.Join(t.TempDir(), "cm.png")
	if err := c.WritePNG(p, "test"); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(p)
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil || img.Bounds().Dx() < 300 {
		t.Fatalf("png %v %v", err, img)
	}
}
