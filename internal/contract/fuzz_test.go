package contract

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary metadata values to the contract parser. It
// must never panic; a spec it accepts must be usable by the runtime
// (finite mean, finite positive std, a crop scale in (0.2, 4], a finite
// shift, thresholds in [0, 1]) and must survive Meta and Parse unchanged.
func FuzzParse(f *testing.F) {
	m := validMeta()
	f.Add(m[KeyLabels], m[KeyInput], m[KeySize], m[KeyMean], m[KeyStd], m[KeyCrop], "", "")
	// the shipped models' contracts
	f.Add(strings.Join(FERPlusLabels, ","), "rgb", "112", "0.5,0.5,0.5", "0.5,0.5,0.5", "scale=1.15,dy=0.05", "logits", "p=0.45,margin=0.1")
	f.Add(strings.Join(FER2013Labels, ","), "gray", "48", "0.5", "0.25", "scale=1.1,dy=0.05", "probs", "")
	f.Add("a,b", "gray", "8", "NaN", "0.25", "scale=1.1,dy=0", "probs", "")
	f.Add("a,b", "gray", "8", "0.5", "Inf", "scale=1.1,dy=0", "probs", "")
	f.Add("a,b", "gray", "8", "0.5", "0.25", "scale=NaN,dy=0", "probs", "")
	f.Add("a,b", "gray", "8", "0.5", "0.25", "scale=1,dy=Inf", "probs", "p=NaN")
	f.Add("a,,b", "rgb", "1024", "1e40,0,0", "-1", "scale=5", "x", "margin=2")
	f.Fuzz(func(t *testing.T, labels, input, size, mean, std, crop, output, uncertain string) {
		meta := map[string]string{KeyLabels: labels, KeyInput: input, KeySize: size, KeyMean: mean,
			KeyStd: std, KeyCrop: crop, KeyOutput: output, KeyUncertain: uncertain}
		s, err := Parse(meta)
		if err != nil {
			return
		}
		finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
		if len(s.Labels) < 2 || (s.Channels != 1 && s.Channels != 3) || s.Size < 8 || s.Size > 1024 ||
			len(s.Mean) != s.Channels || len(s.Std) != s.Channels {
			t.Fatalf("accepted an unusable spec %+v", s)
		}
		for i := range s.Mean {
			if !finite(float64(s.Mean[i])) || !finite(float64(s.Std[i])) || s.Std[i] <= 0 {
				t.Fatalf("accepted mean %v std %v", s.Mean, s.Std)
			}
		}
		if !(s.Crop.Scale > 0.2 && s.Crop.Scale <= 4) || !finite(s.Crop.DY) || math.Abs(s.Crop.DY) > 1 {
			t.Fatalf("accepted crop %+v", s.Crop)
		}
		if u := s.UncertainOrDefault(); !(u.P >= 0 && u.P <= 1 && u.Margin >= 0 && u.Margin <= 1) {
			t.Fatalf("accepted uncertainty %+v", u)
		}
		s2, err := Parse(s.Meta())
		if err != nil {
			t.Fatalf("Parse(Meta()) of an accepted spec: %v", err)
		}
		if !reflect.DeepEqual(s, s2) {
			t.Fatalf("Meta and Parse changed the spec:\n%+v\n%+v", s, s2)
		}
	})
}
