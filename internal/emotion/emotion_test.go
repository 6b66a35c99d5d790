package emotion

import "testing"

// TestMatch matches dataset folders in the spellings of FER2013, FER+,
// RAF-DB and CK+ to a model's labels, and refuses what is unknown or
// ambiguous.
func TestMatch(t *testing.T) {
	ferplus := NewMatcher([]string{"neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt"})
	for _, c := range []struct {
		folder  string
		want    int
		renamed bool
	}{
		{"angry", 4, true}, {"Anger", 4, false}, {"happy", 1, true}, {"sad", 3, true},
		{"Surprised", 2, true}, {"fearful", 6, true}, {"contempt", 7, false}, {" Neutral ", 0, false},
	} {
		i, renamed, ok := ferplus.Match(c.folder)
		if !ok || i != c.want || renamed != c.renamed {
			t.Errorf("folder %q: label %d renamed %v ok %v; want %d (%s) renamed %v", c.folder, i, renamed, ok, c.want, ferplus.Label(c.want), c.renamed)
		}
	}
	if i, _, ok := ferplus.Match("calm"); ok {
		t.Errorf("folder calm matched label %d", i)
	}
	// two labels of one emotion: only the exact spelling matches
	amb := NewMatcher([]string{"happy", "happiness", "sad"})
	if i, _, ok := amb.Match("joy"); ok {
		t.Errorf("joy matched label %d of two happy labels", i)
	}
	if i, renamed, ok := amb.Match("Happiness"); !ok || i != 1 || renamed {
		t.Errorf("Happiness: %d %v %v", i, renamed, ok)
	}
	if i, renamed, ok := amb.Match("sadness"); !ok || i != 2 || !renamed {
		t.Errorf("sadness: %d %v %v", i, renamed, ok)
	}
	if got := Canonical(" Tired "); got != "tired" {
		t.Errorf("Canonical of an unknown label: %q", got)
	}
}
