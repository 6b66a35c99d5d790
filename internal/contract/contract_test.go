package contract

import (
	"strings"
	"testing"
)

// validMeta is the metadata of a minimal valid model.
func validMeta() map[string]string {
	return map[string]string{
		KeyLabels: "angry,happy,sad", KeyInput: "gray", KeySize: "48",
		KeyMean: "0.5", KeyStd: "0.25", KeyCrop: "scale=1.1,dy=0",
	}
}

func TestUncertainDefaultWhenAbsent(t *testing.T) {
	s, err := Parse(validMeta())
	if err != nil {
		t.Fatal(err)
	}
	if s.Uncertain != nil || s.UncertainOrDefault() != DefaultUncertain {
		t.Errorf("no %s: got %v / %v, want nil and the default %v", KeyUncertain, s.Uncertain, s.UncertainOrDefault(), DefaultUncertain)
	}
	if _, ok := s.Meta()[KeyUncertain]; ok {
		t.Errorf("Meta writes %s for a model that sets none", KeyUncertain)
	}
}

func TestUncertainFromMetadata(t *testing.T) {
	for v, want := range map[string]Uncertain{
		"p=0.3,margin=0.05": {0.3, 0.05},
		" p = 0.6 ":         {0.6, DefaultUncertain.Margin},
		"margin=0":          {DefaultUncertain.P, 0},
	} {
		m := validMeta()
		m[KeyUncertain] = v
		s, err := Parse(m)
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if s.Uncertain == nil || *s.Uncertain != want {
			t.Errorf("%q: %v, want %v", v, s.Uncertain, want)
		}
		// It survives a round trip through Meta, as the exporter writes it.
		back, err := Parse(s.Meta())
		if err != nil || back.UncertainOrDefault() != want {
			t.Errorf("%q: round trip gives %v (%v)", v, back.Uncertain, err)
		}
	}
	for _, v := range []string{"p=1.5", "p=-0.1", "q=0.3", "p", "p=abc", "p=NaN"} {
		m := validMeta()
		m[KeyUncertain] = v
		if _, err := Parse(m); err == nil || !strings.Contains(err.Error(), KeyUncertain) {
			t.Errorf("%q: error %v, want one naming %s", v, err, KeyUncertain)
		}
	}
}
