package degrade

import (
	"bytes"
	"image"
	"image/draw"
	"image/jpeg"
	"math"
	"math/rand"
	"os"
	"strings"
	"testing"

	"github.com/ferlive/ferlive/testkit/testenv"
)

// face draws a 48x48 face-like test image: a lit oval on a darker
// background, dark eyes and mouth, and fine texture, so it has edges and
// mid-tones like a real face.
func face(side int) *Image {
	m := &Image{W: side, H: side, C: 1, Pix: make([]uint8, side*side)}
	rng := rand.New(rand.NewSource(7))
	s := float64(side) / 48
	for y := 0; y < side; y++ {
		for x := 0; x < side; x++ {
			fx, fy := float64(x)/s, float64(y)/s
			v := 60.0
			if (fx-24)*(fx-24)/(16*16)+(fy-24)*(fy-24)/(21*21) < 1 {
				v = 170 + 30*math.Sin(fx/3)
			}
			for _, e := range [][2]float64{{17, 19}, {31, 19}} {
				if math.Hypot(fx-e[0], fy-e[1]) < 3 {
					v = 30
				}
			}
			if fy > 32 && fy < 35 && fx > 17 && fx < 31 {
				v = 50
			}
			m.Pix[y*side+x] = clamp8(v + 12*rng.NormFloat64())
		}
	}
	return m
}

// lapVar is the variance of the 4-neighbour Laplacian over the interior:
// the usual measure of sharpness.
func lapVar(m *Image) float64 {
	var s, s2 float64
	n := 0
	for y := 1; y < m.H-1; y++ {
		for x := 1; x < m.W-1; x++ {
			at := func(x, y int) float64 { return float64(m.Pix[(y*m.W+x)*m.C]) }
			l := at(x-1, y) + at(x+1, y) + at(x, y-1) + at(x, y+1) - 4*at(x, y)
			s += l
			s2 += l * l
			n++
		}
	}
	mu := s / float64(n)
	return s2/float64(n) - mu*mu
}

func stddev(m *Image) float64 {
	mu := m.Mean()
	var s float64
	for _, p := range m.Pix {
		s += (float64(p) - mu) * (float64(p) - mu)
	}
	return math.Sqrt(s / float64(len(m.Pix)))
}

// meanAbsDiff is the mean absolute difference between two images.
func meanAbsDiff(a, b *Image) float64 {
	var s float64
	for i := range a.Pix {
		s += math.Abs(float64(a.Pix[i]) - float64(b.Pix[i]))
	}
	return s / float64(len(a.Pix))
}

// severities applies c at each severity to a copy of m.
func severities(t *testing.T, c Corruption, m *Image) []*Image {
	t.Helper()
	var out []*Image
	for s := 1; s <= Severities; s++ {
		d := m.Clone()
		if err := c.Apply(d, s, 42); err != nil {
			t.Fatalf("%s severity %d: %v", c.Name, s, err)
		}
		if d.W != m.W || d.H != m.H || d.C != m.C || len(d.Pix) != len(m.Pix) {
			t.Fatalf("%s changed the image's shape", c.Name)
		}
		out = append(out, d)
	}
	return out
}

// decreasing checks that f(clean) > f(sev 1) > f(sev 2) > f(sev 3).
func decreasing(t *testing.T, what string, clean *Image, sev []*Image, f func(*Image) float64) {
	t.Helper()
	prev := f(clean)
	for i, d := range sev {
		v := f(d)
		if !(v < prev) {
			t.Errorf("%s at severity %d is %.3f, not below %.3f (clean or the previous severity)", what, i+1, v, prev)
		}
		prev = v
	}
}

func TestDarkLowersMeanMonotonically(t *testing.T) {
	m := face(48)
	c, _ := Lookup("dark")
	sev := severities(t, c, m)
	decreasing(t, "dark: mean", m, sev, (*Image).Mean)
	if got, want := sev[2].Mean(), 0.5*m.Mean(); got > want {
		t.Errorf("dark severity 3 mean %.1f, want below half the clean mean (%.1f)", got, want)
	}
}

func TestContrastLowersSpreadKeepsMean(t *testing.T) {
	m := face(48)
	c, _ := Lookup("contrast")
	sev := severities(t, c, m)
	decreasing(t, "contrast: standard deviation", m, sev, stddev)
	for i, d := range sev {
		if math.Abs(d.Mean()-m.Mean()) > 1 {
			t.Errorf("contrast severity %d moved the mean from %.1f to %.1f", i+1, m.Mean(), d.Mean())
		}
	}
}

func TestBlurLowersLaplacianVariance(t *testing.T) {
	m := face(48)
	c, _ := Lookup("blur")
	sev := severities(t, c, m)
	decreasing(t, "blur: Laplacian variance", m, sev, lapVar)
	if math.Abs(sev[2].Mean()-m.Mean()) > 2 {
		t.Errorf("blur moved the mean from %.1f to %.1f", m.Mean(), sev[2].Mean())
	}
}

func TestBlurScalesWithImageSide(t *testing.T) {
	// the same face at 96 px, blurred at the same severity and shrunk back
	// to 48, must be about as sharp as the 48-px face blurred directly
	c, _ := Lookup("blur")
	small, big := face(48), face(96)
	if err := c.Apply(small, 3, 1); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(big, 3, 1); err != nil {
		t.Fatal(err)
	}
	down := resizeArea(big, 48, 48)
	a, b := lapVar(small), lapVar(down)
	if b > 2*a || a > 2*b {
		t.Errorf("blur at 96 px shrunk to 48 has Laplacian variance %.1f, blur at 48 px %.1f: want them within 2x", b, a)
	}
}

func TestNoiseGrowsWithSeverityAndLight(t *testing.T) {
	m := face(48)
	c, _ := Lookup("noise")
	prev := 0.0
	for s, d := range severities(t, c, m) {
		e := meanAbsDiff(d, m)
		if e <= prev {
			t.Errorf("noise severity %d changes pixels by %.2f on average, not more than %.2f", s+1, e, prev)
		}
		prev = e
	}
	// shot noise: bright pixels vary more than dark ones
	dark := &Image{W: 64, H: 64, C: 1, Pix: bytes.Repeat([]uint8{30}, 64*64)}
	bright := &Image{W: 64, H: 64, C: 1, Pix: bytes.Repeat([]uint8{200}, 64*64)}
	Noise(dark, rand.New(rand.NewSource(1)), 2, 2)
	Noise(bright, rand.New(rand.NewSource(1)), 2, 2)
	sd, sb := stddev(dark), stddev(bright)
	if want := math.Sqrt(4 + 2*200.0); math.Abs(sb-want) > 0.1*want {
		t.Errorf("noise on a flat 200 image: standard deviation %.2f, want about %.2f", sb, want)
	}
	if sb < 1.5*sd {
		t.Errorf("shot noise: standard deviation %.2f at 200, %.2f at 30; want the bright one clearly larger", sb, sd)
	}
}

func TestJPEGErrorGrowsAsQualityDrops(t *testing.T) {
	m := face(48)
	c, _ := Lookup("jpeg")
	prev := 0.0
	for s, d := range severities(t, c, m) {
		e := meanAbsDiff(d, m)
		if e <= prev {
			t.Errorf("jpeg severity %d: mean error %.2f, not above %.2f", s+1, e, prev)
		}
		prev = e
	}
	if prev > 40 {
		t.Errorf("jpeg severity 3: mean error %.1f, want a compressed face, not noise", prev)
	}
}

func TestSmallFaceLosesDetail(t *testing.T) {
	m := face(48)
	c, _ := Lookup("small")
	sev := severities(t, c, m)
	decreasing(t, "small: Laplacian variance", m, sev, lapVar)
	// a face already smaller than the target side is left alone
	d := m.Clone()
	Resample(d, 48)
	if !bytes.Equal(d.Pix, m.Pix) {
		t.Error("Resample to the image's own side changed it")
	}
	// a flat image stays flat
	flat := &Image{W: 48, H: 48, C: 1, Pix: bytes.Repeat([]uint8{99}, 48*48)}
	Resample(flat, 8)
	for _, p := range flat.Pix {
		if p != 99 {
			t.Fatalf("Resample of a flat 99 image gave %d", p)
		}
	}
}

func TestRotateTurnsClockwise(t *testing.T) {
	// a bright dot right of the centre goes below it after +90 degrees
	m := &Image{W: 33, H: 33, C: 1, Pix: make([]uint8, 33*33)}
	m.Pix[16*33+28] = 255
	Rotate(m, 90)
	if v := m.Pix[28*33+16]; v < 200 {
		t.Errorf("after turning 90 degrees clockwise, (16,28) is %d, want the dot (255)", v)
	}
	// the tilt grows with severity
	f := face(48)
	c, _ := Lookup("rotate")
	prev := 0.0
	for s, d := range severities(t, c, f) {
		e := meanAbsDiff(d, f)
		if e <= prev {
			t.Errorf("rotate severity %d: mean change %.2f, not above %.2f", s+1, e, prev)
		}
		prev = e
	}
	// corners are mirrored image, not black
	d := f.Clone()
	Rotate(d, 30)
	if d.Pix[0] < 20 {
		t.Errorf("corner after rotation is %d: want mirrored background (about 60), not a black wedge", d.Pix[0])
	}
}

func TestDeterministicGivenSeed(t *testing.T) {
	for _, c := range All {
		a, b, o := face(48), face(48), face(48)
		if err := c.Apply(a, 2, 5); err != nil {
			t.Fatal(err)
		}
		if err := c.Apply(b, 2, 5); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Pix, b.Pix) {
			t.Errorf("%s: the same seed gave different images", c.Name)
		}
		if bytes.Equal(a.Pix, o.Pix) {
			t.Errorf("%s severity 2 left the face unchanged", c.Name)
		}
	}
	a, b := face(48), face(48)
	c, _ := Lookup("noise")
	_ = c.Apply(a, 1, 1)
	_ = c.Apply(b, 1, 2)
	if bytes.Equal(a.Pix, b.Pix) {
		t.Error("noise: different seeds gave the same image")
	}
	if Seed(1, "noise", 1, 0) == Seed(1, "noise", 1, 1) || Seed(1, "noise", 1, 0) == Seed(1, "blur", 1, 0) {
		t.Error("Seed does not depend on the image index or the corruption")
	}
}

func TestRGB(t *testing.T) {
	g := face(48)
	m := &Image{W: 48, H: 48, C: 3, Pix: make([]uint8, 48*48*3)}
	for i, p := range g.Pix {
		m.Pix[3*i], m.Pix[3*i+1], m.Pix[3*i+2] = p, p/2, 255-p
	}
	for _, c := range All {
		d := m.Clone()
		if err := c.Apply(d, 3, 9); err != nil {
			t.Fatalf("%s on RGB: %v", c.Name, err)
		}
		if bytes.Equal(d.Pix, m.Pix) {
			t.Errorf("%s left an RGB face unchanged", c.Name)
		}
		// the channels stay distinct: red is still mostly above green
		var above int
		for i := 0; i < 48*48; i++ {
			if d.Pix[3*i] >= d.Pix[3*i+1] {
				above++
			}
		}
		if above < 48*48*8/10 {
			t.Errorf("%s on RGB mixed the channels: red >= green in %d of %d pixels", c.Name, above, 48*48)
		}
	}
}

func TestParse(t *testing.T) {
	all, err := Parse("all")
	if err != nil || len(all) != 7 {
		t.Fatalf("Parse(all) = %d corruptions, %v; want 7", len(all), err)
	}
	two, err := Parse("blur, JPEG")
	if err != nil || len(two) != 2 || two[0].Name != "blur" || two[1].Name != "jpeg" {
		t.Fatalf("Parse(blur, JPEG) = %v, %v", two, err)
	}
	for _, bad := range []string{"fog", "blur,blur", ""} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		} else if bad == "fog" && !strings.Contains(err.Error(), "dark, contrast") {
			t.Errorf("Parse(fog): %v; want the known names listed", err)
		}
	}
	if err := All[0].Apply(face(48), 4, 1); err == nil {
		t.Error("severity 4 accepted")
	}
	if err := All[0].Apply(&Image{W: 2, H: 2, C: 1, Pix: make([]uint8, 3)}, 1, 1); err == nil {
		t.Error("an image with too few bytes accepted")
	}
}

// TestRealFace runs every corruption on a real face (the shared photo of
// Joe Biden, cropped and reduced to 48x48 grey) and checks the severity
// order of the measures each corruption should move.
func TestRealFace(t *testing.T) {
	f, err := os.Open(testenv.Photo(t, "biden.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		t.Fatalf("biden.jpg: %v", err)
	}
	b := img.Bounds()
	side := min(b.Dx(), b.Dy())
	gray := image.NewGray(image.Rect(0, 0, side, side))
	draw.Draw(gray, gray.Rect, img, image.Pt(b.Min.X+(b.Dx()-side)/2, b.Min.Y+(b.Dy()-side)/2), draw.Src)
	m := resizeArea(&Image{W: side, H: side, C: 1, Pix: gray.Pix}, 48, 48)
	measure := map[string]func(*Image) float64{"dark": (*Image).Mean, "contrast": stddev, "blur": lapVar, "small": lapVar}
	for _, c := range All {
		sev := severities(t, c, m)
		if f, ok := measure[c.Name]; ok {
			decreasing(t, c.Name, m, sev, f)
			continue
		}
		prev := 0.0
		for s, d := range sev {
			if e := meanAbsDiff(d, m); e <= prev {
				t.Errorf("%s severity %d: mean change %.2f, not above %.2f", c.Name, s+1, e, prev)
			} else {
				prev = e
			}
		}
	}
}
