package tfjsref_test

import (
	"image"
	"testing"

	"github.com/ferlive/ferlive/internal/tfjs/tfjsref"
	"github.com/ferlive/ferlive/testkit/testenv"
)

// Every case rebuilds, from the shared photo, the exact input TensorFlow.js
// was given (Pixels checks the checksum), with integer RGB values in
// 0..255, and carries the outputs a user compares with.
func TestCasesRebuild(t *testing.T) {
	data := testenv.Data(t)
	cases, err := tfjsref.Cases()
	if err != nil {
		t.Fatal(err)
	}
	faces := 0
	for _, c := range cases {
		px, err := c.Pixels(data)
		if err != nil {
			t.Fatal(err)
		}
		if len(px) != c.Size*c.Size*3 {
			t.Fatalf("%s: %d values, want %d", c.Name, len(px), c.Size*c.Size*3)
		}
		for _, v := range px {
			if v < 0 || v > 255 || v != float32(int(v)) {
				t.Fatalf("%s: pixel value %v, want an integer in 0..255", c.Name, v)
			}
		}
		if c.Person != "" {
			faces++
			if d := c.Outputs[tfjsref.Descriptor]; len(d.Values) != 1024 {
				t.Errorf("%s: descriptor of %d values, want 1024", c.Name, len(d.Values))
			}
			if p := c.Outputs[tfjsref.PoolPW11]; len(p.Values) != 512 {
				t.Errorf("%s: pooled conv_pw_11 of %d values, want 512", c.Name, len(p.Values))
			}
		}
	}
	if faces < 4 {
		t.Errorf("%d FaceRes face cases, want at least two per person", faces)
	}
}

// A changed photo is refused by checksum rather than compared.
func TestChecksumGuards(t *testing.T) {
	data := testenv.Data(t)
	cases, err := tfjsref.Cases()
	if err != nil {
		t.Fatal(err)
	}
	c := cases[0]
	c.Crop = c.Crop.Add(image.Pt(1, 0))
	if _, err := c.Pixels(data); err == nil {
		t.Errorf("a crop one pixel off passed the checksum of %s", c.Name)
	}
}
