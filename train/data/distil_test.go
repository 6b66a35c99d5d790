package data

import (
	"math"
	"strings"
	"testing"
)

// TestDistilMixesTargets checks the targets a teacher gives: one-hot labels
// and FER+ vote distributions are mixed with the teacher's (renormalised)
// probabilities, the labels stay, and mismatched input is refused.
func TestDistilMixesTargets(t *testing.T) {
	hard := &Dataset{Classes: []string{"a", "b", "c"}, Size: 1, Images: [][]uint8{{0}, {1}}, Labels: []int{0, 2}}
	teacher := [][]float32{{0.2, 0.6, 0.2}, {1, 1, 2}} // the second sums to 4
	got, err := Distil(hard, teacher, 0.25)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]float32{{0.75 + 0.05, 0.15, 0.05}, {0.0625, 0.0625, 0.75 + 0.125}}
	for i := range want {
		for k := range want[i] {
			if math.Abs(float64(got.Soft[i][k]-want[i][k])) > 1e-6 {
				t.Fatalf("targets %v, want %v", got.Soft, want)
			}
		}
	}
	if hard.Soft != nil || got.Labels[1] != 2 {
		t.Errorf("Distil changed its input (%v) or the labels (%v)", hard.Soft, got.Labels)
	}
	soft := *hard
	soft.Soft = [][]float32{{0.5, 0.5, 0}, {0, 0, 1}}
	if got, err = Distil(&soft, teacher, 0.5); err != nil {
		t.Fatal(err)
	}
	if v := got.Soft[0]; math.Abs(float64(v[0]-0.35)) > 1e-6 || math.Abs(float64(v[1]-0.55)) > 1e-6 || math.Abs(float64(v[2]-0.1)) > 1e-6 {
		t.Errorf("votes (0.5, 0.5, 0) mixed half with (0.2, 0.6, 0.2): %v", v)
	}
	for _, c := range []struct {
		name    string
		teacher [][]float32
		w       float64
		want    string
	}{
		{"too few predictions", teacher[:1], 0.5, "1 teacher predictions for 2 faces"},
		{"weight above 1", teacher, 1.5, "weight 1.5"},
		{"wrong class count", [][]float32{{1, 0}, {0, 1}}, 0.5, "2 probabilities for 3 classes"},
		{"all zero", [][]float32{{0, 0, 0}, {0, 0, 1}}, 0.5, "sum to 0"},
	} {
		if _, err := Distil(hard, c.teacher, c.w); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
		}
	}
}

// TestTeacherClasses matches a teacher's labels to the data's by name, in
// any dataset's spelling of an emotion.
func TestTeacherClasses(t *testing.T) {
	idx, err := TeacherClasses([]string{"neutral", "happiness", "surprise", "Sad"}, []string{"sad", "NEUTRAL"})
	if err != nil || len(idx) != 2 || idx[0] != 3 || idx[1] != 0 {
		t.Fatalf("index %v, error %v", idx, err)
	}
	if p := Project([]float32{0.1, 0.5, 0.1, 0.3}, idx); math.Abs(float64(p[0]-0.75)) > 1e-6 || math.Abs(float64(p[1]-0.25)) > 1e-6 {
		t.Errorf("projected %v, want [0.75 0.25]", p)
	}
	// another dataset's spelling of the same emotion matches
	if idx, err := TeacherClasses([]string{"neutral", "happiness", "anger"}, []string{"angry", "happy", "neutral"}); err != nil || len(idx) != 3 || idx[0] != 2 || idx[1] != 1 || idx[2] != 0 {
		t.Errorf("FER+ teacher for FER2013 classes: index %v, error %v", idx, err)
	}
	if _, err := TeacherClasses([]string{"neutral", "happiness"}, []string{"happy", "neutral", "fear", "calm"}); err == nil || !strings.Contains(err.Error(), "fear, calm") {
		t.Errorf("missing classes: error %v", err)
	}
}
