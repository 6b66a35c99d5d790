// Package contract defines the model contract: the preprocessing and label
// metadata that every ferlive classifier carries in its ONNX metadata_props.
// The exporter writes it, the runtime reads it and never guesses.
package contract

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Metadata keys.
const (
	KeyLabels   = "ferlive.labels"   // comma-separated class names in output order
	KeyInput    = "ferlive.input"    // gray or rgb
	KeySize     = "ferlive.size"     // square input side in pixels, e.g. 48
	KeyMean     = "ferlive.mean"     // per channel, comma-separated, on 0..1 pixels
	KeyStd      = "ferlive.std"      // per channel, comma-separated
	KeyCrop     = "ferlive.crop"     // face box to crop: "scale=1.15,dy=0.05" (always squared)
	KeyOutput   = "ferlive.output"   // probs (softmax applied in the graph) or logits
	KeyArch     = "ferlive.arch"     // e.g. rlrcnet
	KeyDataset  = "ferlive.dataset"  // e.g. fer2013
	KeyAccuracy = "ferlive.accuracy" // test accuracy as a fraction, informative
	// KeyUncertain (optional) says when a classification is shown as
	// uncertain: "p=0.45,margin=0.1" (top probability below p, or its
	// margin over the runner-up below margin). Absent: DefaultUncertain.
	KeyUncertain = "ferlive.uncertain"
	// KeyQuant marks a quantised model and says how it was made (written
	// by quantize, read by the trainer to refuse an int8 start).
	KeyQuant = "ferlive.quant"
)

// Uncertain is the threshold below which a classification is too weak to
// be shown as a finding: a top probability below P, or a margin over the
// runner-up below Margin. Records keep every probability either way.
type Uncertain struct {
	P, Margin float64
}

// DefaultUncertain is the threshold of a model whose metadata sets none.
var DefaultUncertain = Uncertain{P: 0.45, Margin: 0.1}

// ParseUncertain parses "p=0.45,margin=0.1"; a key left out keeps its
// default.
func ParseUncertain(v string) (Uncertain, error) {
	u := DefaultUncertain
	for _, kv := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return Uncertain{}, fmt.Errorf("%q: want p=P,margin=M", v)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil || !(f >= 0 && f <= 1) {
			return Uncertain{}, fmt.Errorf("%q: %s must be a number in [0, 1]", v, k)
		}
		switch strings.TrimSpace(k) {
		case "p":
			u.P = f
		case "margin":
			u.Margin = f
		default:
			return Uncertain{}, fmt.Errorf("%q: unknown key %s, want p and margin", v, k)
		}
	}
	return u, nil
}

// String formats u the way ParseUncertain reads it.
func (u Uncertain) String() string {
	return fmt.Sprintf("p=%g,margin=%g", u.P, u.Margin)
}

// Required lists the keys without which a model is refused.
var Required = []string{KeyLabels, KeyInput, KeySize, KeyMean, KeyStd, KeyCrop}

// Crop says how a detected face box becomes the classifier's square crop:
// the side is max(w, h) * Scale, centred on the box centre moved down by
// DY * side. Nothing inside the crop is ever masked.
type Crop struct {
	Scale float64
	DY    float64
}

// Spec is a model's preprocessing and label contract.
type Spec struct {
	Labels   []string
	Channels int // 1 (gray) or 3 (rgb)
	Size     int
	Mean     []float32 // per channel
	Std      []float32 // per channel
	Crop     Crop
	Logits   bool // output is logits: the runtime applies softmax
	Arch     string
	Dataset  string
	Accuracy string
	// Uncertain is the model's own uncertainty threshold (KeyUncertain),
	// nil when its metadata sets none; see UncertainOrDefault.
	Uncertain *Uncertain
}

// UncertainOrDefault is the model's uncertainty threshold, or
// DefaultUncertain when it sets none.
func (s Spec) UncertainOrDefault() Uncertain {
	if s.Uncertain != nil {
		return *s.Uncertain
	}
	return DefaultUncertain
}

// Parse reads a Spec from metadata. Every problem is reported with the key
// and what was expected.
func Parse(meta map[string]string) (Spec, error) {
	var missing []string
	for _, k := range Required {
		if strings.TrimSpace(meta[k]) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return Spec{}, fmt.Errorf("model metadata lacks %s (a ferlive model carries its preprocessing; export it with `ferlive export`)",
			strings.Join(missing, ", "))
	}
	var s Spec
	for _, l := range strings.Split(meta[KeyLabels], ",") {
		l = strings.TrimSpace(l)
		if l == "" {
			return Spec{}, fmt.Errorf("%s=%q: empty label", KeyLabels, meta[KeyLabels])
		}
		s.Labels = append(s.Labels, l)
	}
	if len(s.Labels) < 2 {
		return Spec{}, fmt.Errorf("%s=%q: want at least two labels", KeyLabels, meta[KeyLabels])
	}
	switch meta[KeyInput] {
	case "gray":
		s.Channels = 1
	case "rgb":
		s.Channels = 3
	default:
		return Spec{}, fmt.Errorf("%s=%q: want gray or rgb", KeyInput, meta[KeyInput])
	}
	size, err := strconv.Atoi(meta[KeySize])
	if err != nil || size < 8 || size > 1024 {
		return Spec{}, fmt.Errorf("%s=%q: want an integer side between 8 and 1024", KeySize, meta[KeySize])
	}
	s.Size = size
	if s.Mean, err = floats(meta[KeyMean], s.Channels); err != nil {
		return Spec{}, fmt.Errorf("%s: %w", KeyMean, err)
	}
	if s.Std, err = floats(meta[KeyStd], s.Channels); err != nil {
		return Spec{}, fmt.Errorf("%s: %w", KeyStd, err)
	}
	for _, v := range s.Std {
		if v <= 0 {
			return Spec{}, fmt.Errorf("%s=%q: want positive values", KeyStd, meta[KeyStd])
		}
	}
	if s.Crop, err = ParseCrop(meta[KeyCrop]); err != nil {
		return Spec{}, fmt.Errorf("%s: %w", KeyCrop, err)
	}
	switch meta[KeyOutput] {
	case "", "probs":
	case "logits":
		s.Logits = true
	default:
		return Spec{}, fmt.Errorf("%s=%q: want probs or logits", KeyOutput, meta[KeyOutput])
	}
	s.Arch, s.Dataset, s.Accuracy = meta[KeyArch], meta[KeyDataset], meta[KeyAccuracy]
	if v := strings.TrimSpace(meta[KeyUncertain]); v != "" {
		u, err := ParseUncertain(v)
		if err != nil {
			return Spec{}, fmt.Errorf("%s: %w", KeyUncertain, err)
		}
		s.Uncertain = &u
	}
	return s, nil
}

func floats(v string, n int) ([]float32, error) {
	parts := strings.Split(v, ",")
	if len(parts) == 1 && n > 1 {
		for len(parts) < n {
			parts = append(parts, parts[0])
		}
	}
	if len(parts) != n {
		return nil, fmt.Errorf("%q: want %d comma-separated numbers", v, n)
	}
	out := make([]float32, n)
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 32)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%q: want %d comma-separated finite numbers", v, n)
		}
		out[i] = float32(f)
	}
	return out, nil
}

// ParseCrop parses "scale=1.15,dy=0.05".
func ParseCrop(v string) (Crop, error) {
	c := Crop{Scale: 1}
	for _, kv := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return Crop{}, fmt.Errorf("%q: want scale=S,dy=D", v)
		}
		f, err := strconv.ParseFloat(val, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return Crop{}, fmt.Errorf("%q: %s is not a finite number", v, k)
		}
		switch k {
		case "scale":
			c.Scale = f
		case "dy":
			c.DY = f
		default:
			return Crop{}, fmt.Errorf("%q: unknown key %s, want scale and dy", v, k)
		}
	}
	if c.Scale <= 0.2 || c.Scale > 4 {
		return Crop{}, fmt.Errorf("%q: scale must be in (0.2, 4]", v)
	}
	if c.DY < -1 || c.DY > 1 {
		return Crop{}, fmt.Errorf("%q: dy must be in [-1, 1] (a fraction of the crop side)", v)
	}
	return c, nil
}

// String formats the crop the way ParseCrop reads it.
func (c Crop) String() string {
	return fmt.Sprintf("scale=%g,dy=%g", c.Scale, c.DY)
}

// Meta returns the metadata entries for s, in a stable order.
func (s Spec) Meta() map[string]string {
	input := "gray"
	if s.Channels == 3 {
		input = "rgb"
	}
	out := "probs"
	if s.Logits {
		out = "logits"
	}
	m := map[string]string{
		KeyLabels: strings.Join(s.Labels, ","),
		KeyInput:  input,
		KeySize:   strconv.Itoa(s.Size),
		KeyMean:   joinFloats(s.Mean),
		KeyStd:    joinFloats(s.Std),
		KeyCrop:   s.Crop.String(),
		KeyOutput: out,
	}
	if s.Arch != "" {
		m[KeyArch] = s.Arch
	}
	if s.Dataset != "" {
		m[KeyDataset] = s.Dataset
	}
	if s.Accuracy != "" {
		m[KeyAccuracy] = s.Accuracy
	}
	if s.Uncertain != nil {
		m[KeyUncertain] = s.Uncertain.String()
	}
	return m
}

func joinFloats(v []float32) string {
	s := make([]string, len(v))
	for i, f := range v {
		s[i] = strconv.FormatFloat(float64(f), 'g', -1, 32)
	}
	return strings.Join(s, ",")
}

// FER2013Labels are the FER2013 classes in the image-folder order.
var FER2013Labels = []string{"angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"}

// FERPlusLabels are the eight FER+ emotions in label.csv order.
var FERPlusLabels = []string{"neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt"}
