package evaluate

import (
	"bytes"
	"testing"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/internal/degrade"
)

// TestMatRoundTrip checks that a colour face keeps its channel order
// through a corruption (BGR Mat -> RGB image -> BGR Mat) and that a grey
// face stored as BGR is corrupted as grey.
func TestMatRoundTrip(t *testing.T) {
	bgr := make([]uint8, 4*4*3)
	for i := 0; i < 16; i++ {
		bgr[3*i], bgr[3*i+1], bgr[3*i+2] = 10, 100, 200 // blue, green, red
	}
	m, err := gocv.NewMatFromBytes(4, 4, gocv.MatTypeCV8UC3, bgr)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	img, err := fromMat(m)
	if err != nil {
		t.Fatal(err)
	}
	if img.C != 3 || img.Pix[0] != 200 || img.Pix[2] != 10 {
		t.Fatalf("colour Mat read as %d channels, first pixel %v; want RGB 200,100,10", img.C, img.Pix[:3])
	}
	back, err := toMat(img)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if got := back.ToBytes(); !bytes.Equal(got, bgr) {
		t.Fatalf("round trip gave %v, want %v", got[:3], bgr[:3])
	}
	// the corruption transform keeps the colour's order too
	rot, _ := degrade.Lookup("rotate")
	out, err := corrupter(rot, 1, 1)(0, m)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if px := out.ToBytes(); out.Channels() != 3 || px[0] != 10 || px[2] != 200 {
		t.Fatalf("rotated uniform colour face: %d channels, first pixel %v, want BGR 10,100,200", out.Channels(), px[:3])
	}

	grey := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(77, 77, 77, 0), 5, 5, gocv.MatTypeCV8UC3)
	defer grey.Close()
	g, err := fromMat(grey)
	if err != nil {
		t.Fatal(err)
	}
	if g.C != 1 || len(g.Pix) != 25 || g.Pix[0] != 77 {
		t.Fatalf("grey BGR Mat read as %d channels, %d bytes", g.C, len(g.Pix))
	}
}
