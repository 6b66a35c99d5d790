package degrade

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
)

// Severities is the number of severities of each corruption (1 mild, 3
// severe).
const Severities = 3

// RefSide is the face side, in pixels, that the size-dependent parameters
// (blur sigma) are given for: a 48x48 FER face. Larger images get
// proportionally larger blur, so a corruption means the same on any face.
const RefSide = 48

// Corruption is one kind of degradation at fixed parameters per severity,
// for the robustness benchmark.
type Corruption struct {
	Name string // short name on the command line: dark, contrast, ...
	Doc  string // what it imitates
	// params gives the parameters at severity 1..3, applied by apply
	params [Severities][3]float64
	apply  func(m *Image, p [3]float64, rng *rand.Rand) error
	format func(p [3]float64) string
}

// All is the benchmark's corruptions, in report order. The parameters are
// chosen so that severity 1 is a common webcam condition and severity 3 a
// hard but real one (a face in dim stage light, a face about 12 pixels
// wide in a wide shot, a head tilted 30 degrees).
var All = []Corruption{
	{
		Name: "dark", Doc: "dim light: brightness gain and gamma (255*gain*(x/255)^gamma)",
		params: [Severities][3]float64{{0.7, 1.2}, {0.5, 1.4}, {0.35, 1.6}},
		apply:  func(m *Image, p [3]float64, _ *rand.Rand) error { Dark(m, p[0], p[1]); return nil },
		format: func(p [3]float64) string { return fmt.Sprintf("gain %g, gamma %g", p[0], p[1]) },
	},
	{
		Name: "contrast", Doc: "low contrast: distance from the image mean scaled",
		params: [Severities][3]float64{{0.6}, {0.4}, {0.25}},
		apply:  func(m *Image, p [3]float64, _ *rand.Rand) error { Contrast(m, p[0]); return nil },
		format: func(p [3]float64) string { return fmt.Sprintf("contrast x%g", p[0]) },
	},
	{
		Name: "blur", Doc: "defocus: Gaussian blur (sigma in pixels of a 48-px face, scaled with the image)",
		params: [Severities][3]float64{{0.8}, {1.3}, {2.0}},
		apply: func(m *Image, p [3]float64, _ *rand.Rand) error {
			Blur(m, p[0]*float64(min(m.W, m.H))/RefSide)
			return nil
		},
		format: func(p [3]float64) string { return fmt.Sprintf("sigma %g px at 48 px", p[0]) },
	},
	{
		Name: "noise", Doc: "sensor noise: Gaussian read noise plus low-light shot noise (variance read^2 + shot*x)",
		params: [Severities][3]float64{{5, 0.5}, {10, 1}, {15, 2}},
		apply:  func(m *Image, p [3]float64, rng *rand.Rand) error { Noise(m, rng, p[0], p[1]); return nil },
		format: func(p [3]float64) string {
			return fmt.Sprintf("read sd %g, shot %g (sd %.0f at mid-grey)", p[0], p[1], math.Sqrt(p[0]*p[0]+p[1]*128))
		},
	},
	{
		Name: "jpeg", Doc: "JPEG compression (image/jpeg round trip)",
		params: [Severities][3]float64{{25}, {12}, {6}},
		apply:  func(m *Image, p [3]float64, _ *rand.Rand) error { return JPEG(m, int(p[0])) },
		format: func(p [3]float64) string { return fmt.Sprintf("quality %g", p[0]) },
	},
	{
		Name: "small", Doc: "small face: area-downscaled to a side of N pixels, then enlarged back bilinearly",
		params: [Severities][3]float64{{24}, {16}, {12}},
		apply:  func(m *Image, p [3]float64, _ *rand.Rand) error { Resample(m, int(p[0])); return nil },
		format: func(p [3]float64) string { return fmt.Sprintf("%g px face", p[0]) },
	},
	{
		Name: "rotate", Doc: "in-plane head tilt, clockwise or anticlockwise at random (borders mirrored)",
		params: [Severities][3]float64{{10}, {20}, {30}},
		apply: func(m *Image, p [3]float64, rng *rand.Rand) error {
			d := p[0]
			if rng.Intn(2) == 0 {
				d = -d
			}
			Rotate(m, d)
			return nil
		},
		format: func(p [3]float64) string { return fmt.Sprintf("+-%g deg", p[0]) },
	},
}

// Names returns the names of All, comma-separated.
func Names() string {
	n := make([]string, len(All))
	for i, c := range All {
		n[i] = c.Name
	}
	return strings.Join(n, ", ")
}

// Parse reads a --corrupt list: "all", or corruption names separated by
// commas, each once.
func Parse(list string) ([]Corruption, error) {
	if strings.TrimSpace(list) == "all" {
		return All, nil
	}
	var out []Corruption
	seen := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		n = strings.ToLower(strings.TrimSpace(n))
		if n == "" {
			continue
		}
		c, ok := Lookup(n)
		if !ok {
			return nil, fmt.Errorf("corruption %q: want all or a comma-separated list of %s", n, Names())
		}
		if seen[n] {
			return nil, fmt.Errorf("corruption %q named twice in %q", n, list)
		}
		seen[n] = true
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("corruption list %q: want all or a comma-separated list of %s", list, Names())
	}
	return out, nil
}

// Lookup finds a corruption of All by name.
func Lookup(name string) (Corruption, bool) {
	for _, c := range All {
		if c.Name == name {
			return c, true
		}
	}
	return Corruption{}, false
}

// Params describes the parameters at a severity (1..Severities).
func (c Corruption) Params(severity int) string {
	if severity < 1 || severity > Severities {
		return "?"
	}
	return c.format(c.params[severity-1])
}

// Apply corrupts m in place at severity 1..Severities; random choices
// (noise, the direction of a tilt) come from seed alone, so the same seed
// gives the same image.
func (c Corruption) Apply(m *Image, severity int, seed int64) error {
	if severity < 1 || severity > Severities {
		return fmt.Errorf("corruption %s: severity %d, want 1 to %d", c.Name, severity, Severities)
	}
	if err := m.Check(); err != nil {
		return err
	}
	return c.apply(m, c.params[severity-1], rand.New(rand.NewSource(seed)))
}

// Seed derives the seed of one image's corruption from the benchmark seed,
// the corruption, the severity and the image's index, so each image's
// corruption does not depend on the order or batching of the evaluation.
func Seed(seed int64, corruption string, severity, index int) int64 {
	x := uint64(seed)*0x9E3779B97F4A7C15 ^ uint64(severity)*0xBF58476D1CE4E5B9 ^ uint64(index)*0x94D049BB133111EB
	for _, b := range []byte(corruption) {
		x = (x ^ uint64(b)) * 0x100000001B3
	}
	x ^= x >> 31
	x *= 0xD6E8FEB86659FD93
	x ^= x >> 32
	return int64(x & (1<<63 - 1))
}
