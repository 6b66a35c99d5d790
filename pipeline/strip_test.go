package pipeline_test

import (
	"image"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/internal/emotion"
	"github.com/ferlive/ferlive/internal/record"
	"github.com/ferlive/ferlive/pipeline"
)

// TestStrip feeds 4 s of a face that is happy then sad for the last
// second: the strip's row shows the happy colour on the left part, the sad
// colour at the right edge (now), and nothing is drawn above the strip.
func TestStrip(t *testing.T) {
	s := &pipeline.Strip{Window: 4 * time.Second}
	var last []uint8
	for i := 0; i <= 40; i++ {
		m := gocv.NewMatWithSize(240, 320, gocv.MatTypeCV8UC3)
		label := "happy"
		if i > 30 {
			label = "sad"
		}
		r := &pipeline.Result{Mat: m, Frame: record.Frame{Index: i, PTS: time.Duration(i) * 100 * time.Millisecond,
			Faces: []record.Face{{ID: 1, Box: image.Rect(10, 10, 50, 50), Label: label}}}}
		if err := s.Consume(r); err != nil {
			t.Fatal(err)
		}
		if i == 40 {
			last = append([]uint8(nil), m.ToBytes()...)
		}
		m.Close()
	}
	at := func(x, y int) [3]uint8 { o := (y*320 + x) * 3; return [3]uint8{last[o+2], last[o+1], last[o]} } // BGR -> RGB
	rgb := func(l string) [3]uint8 { c := emotion.Color(l); return [3]uint8{c.R, c.G, c.B} }
	row := 240 - 4 - 2 + 1 + 1 // inside the only row
	if got := at(318, row); got != rgb("sad") {
		t.Errorf("now (right edge) %v, want sad %v", got, rgb("sad"))
	}
	if got := at(100, row); got != rgb("happy") {
		t.Errorf("two seconds ago %v, want happy %v", got, rgb("happy"))
	}
	if got := at(100, 200); got != [3]uint8{} {
		t.Errorf("drawn above the strip: %v", got)
	}
}
