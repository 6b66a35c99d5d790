package overlay

import (
	"fmt"
	"image/color"
	"math"
	"testing"
)

// emotions are the eight emotions with fixed colours.
var emotions = []string{"angry", "disgust", "fear", "happy", "neutral", "sad", "surprise", "contempt"}

func TestColorFixedAndDistinct(t *testing.T) {
	seen := map[bgr]string{}
	for _, n := range emotions {
		c := Color(n)
		if c.A != 255 {
			t.Errorf("%s: alpha %d", n, c.A)
		}
		if other, dup := seen[toBGR(c)]; dup {
			t.Errorf("%s and %s share colour %v", n, other, c)
		}
		seen[toBGR(c)] = n
	}
	for alias, name := range map[string]string{"happiness": "happy", "sadness": "sad", "anger": "angry", "Happy": "happy", " SURPRISE ": "surprise", "fearful": "fear"} {
		if Color(alias) != Color(name) {
			t.Errorf("Color(%q) = %v, want Color(%q) = %v", alias, Color(alias), name, Color(name))
		}
	}
}

// cvd are the colour-vision simulations of Machado, Oliveira and Fernandes
// (2009) at full severity, on linear RGB, and normal vision.
var cvd = map[string][3][3]float64{
	"normal":       {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
	"protanopia":   {{0.152286, 1.052583, -0.204868}, {0.114503, 0.786281, 0.099216}, {-0.003882, -0.048116, 1.051998}},
	"deuteranopia": {{0.367322, 0.860646, -0.227968}, {0.280085, 0.672501, 0.047413}, {-0.011820, 0.042940, 0.968881}},
	"tritanopia":   {{1.255528, -0.076749, -0.178779}, {-0.078411, 0.930809, 0.147602}, {0.004733, 0.691367, 0.303900}},
}

// lab returns the CIE L*a*b* (D65) of c as seen with simulation m.
func lab(c color.RGBA, m [3][3]float64) [3]float64 {
	lin := func(v uint8) float64 {
		f := float64(v) / 255
		if f <= 0.04045 {
			return f / 12.92
		}
		return math.Pow((f+0.055)/1.055, 2.4)
	}
	in := [3]float64{lin(c.R), lin(c.G), lin(c.B)}
	var rgb [3]float64
	for i := range rgb {
		rgb[i] = math.Min(1, math.Max(0, m[i][0]*in[0]+m[i][1]*in[1]+m[i][2]*in[2]))
	}
	x := (0.4124*rgb[0] + 0.3576*rgb[1] + 0.1805*rgb[2]) / 0.95047
	y := 0.2126*rgb[0] + 0.7152*rgb[1] + 0.0722*rgb[2]
	z := (0.0193*rgb[0] + 0.1192*rgb[1] + 0.9505*rgb[2]) / 1.08883
	f := func(v float64) float64 {
		if v > 0.008856 {
			return math.Cbrt(v)
		}
		return 7.787*v + 16.0/116
	}
	return [3]float64{116*f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))}
}

// TestPaletteColourBlindSafe checks that the emotion colours and the
// uncertain grey stay apart (CIE76 colour difference of at least 15, a
// clearly visible difference) for normal vision and for the three kinds of
// dichromacy.
func TestPaletteColourBlindSafe(t *testing.T) {
	const minDeltaE = 15
	names := append(append([]string(nil), emotions...), "uncertain")
	col := func(n string) color.RGBA {
		if n == "uncertain" {
			return UncertainColor
		}
		return Color(n)
	}
	for vision, m := range cvd {
		worst, pair := math.Inf(1), ""
		for i, a := range names {
			for _, b := range names[i+1:] {
				la, lb := lab(col(a), m), lab(col(b), m)
				d := math.Sqrt((la[0]-lb[0])*(la[0]-lb[0]) + (la[1]-lb[1])*(la[1]-lb[1]) + (la[2]-lb[2])*(la[2]-lb[2]))
				if d < minDeltaE {
					t.Errorf("%s: %s and %s differ by only %.1f (CIE76), want >= %d", vision, a, b, d, minDeltaE)
				}
				if d < worst {
					worst, pair = d, a+"/"+b
				}
			}
		}
		t.Logf("%s: closest pair %s, difference %.1f", vision, pair, worst)
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
	for _, n := range append(append([]string(nil), emotions...), "xyz") {
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
