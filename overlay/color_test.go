package overlay

import (
	"fmt"
	"testing"
)

func TestColorFixedAndDistinct(t *testing.T) {
	names := []string{"angry", "disgust", "fear", "happy", "neutral", "sad", "surprise", "contempt"}
	seen := map[bgr]string{}
	for _, n := range names {
		c := Color(n)
		if c.A != 255 {
			t.Errorf("%s: alpha %d", n, c.A)
		}
		k := toBGR(c)
		if other, dup := seen[k]; dup {
			t.Errorf("%s and %s share colour %v", n, other, c)
		}
		seen[k] = n
		for _, m := range names {
			if m != n && dist(toBGR(Color(m)), k) < 90 {
				t.Errorf("%s and %s colours too close: %v %v", n, m, c, Color(m))
			}
		}
	}
	for alias, name := range map[string]string{"happiness": "happy", "sadness": "sad", "anger": "angry", "Happy": "happy", " SURPRISE ": "surprise", "fearful": "fear"} {
		if Color(alias) != Color(name) {
			t.Errorf("Color(%q) = %v, want Color(%q) = %v", alias, Color(alias), name, Color(name))
		}
	}
}

func TestColorHashedForUnknown(t *testing.T) {
	seen := map[bgr]int{}
	for i := 0; i < 50; i++ {
		n := fmt.Sprintf("class-%d", i)
		c := Color(n)
		if c != Color(n) {
			t.Fatalf("Color(%q) not stable", n)
		}
		if c.A != 255 || luminance(c) < 40 {
			t.Errorf("Color(%q) = %v: too dark or transparent", n, c)
		}
		seen[toBGR(c)]++
	}
	if len(seen) < 40 {
		t.Errorf("only %d distinct colours for 50 unknown labels", len(seen))
	}
}

func TestTextContrast(t *testing.T) {
	for _, n := range []string{"angry", "disgust", "fear", "happy", "neutral", "sad", "surprise", "contempt", "xyz"} {
		bg, fg := Color(n), textOn(Color(n))
		d := luminance(bg) - luminance(fg)
		if d < 0 {
			d = -d
		}
		if d < 90 {
			t.Errorf("%s: text luminance contrast %.0f", n, d)
		}
	}
}
