package ferplus

import (
	"math"
	"strings"
	"testing"
)

func TestParseMajorityDistribution(t *testing.T) {
	csv := `fer0000000.png,"(0, 0, 48, 48)",4,0,0,1,3,0,0,0,2,0
fer0000001.png,"(0, 0, 48, 48)",0,10,0,0,0,0,0,0,0,0
fer0000002.png,"(0, 0, 48, 48)",0,0,0,0,0,0,0,0,6,4
fer0000003.png,"(0, 0, 48, 48)",5,0,0,0,5,0,0,0,0,0
fer0000004.png,"(0, 0, 48, 48)",1,0,0,1,0,0,0,1,0,0
short,row
`
	recs, err := Parse(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 || recs[0].Image != "fer0000000.png" || recs[0].Votes[4] != 3 {
		t.Fatalf("records %+v", recs)
	}
	wantMaj := []struct {
		e  int
		ok bool
	}{{0, true}, {1, true}, {0, false}, {0, false}, {0, false}}
	for i, w := range wantMaj {
		e, ok := recs[i].Majority()
		if ok != w.ok || (ok && e != w.e) {
			t.Errorf("record %d: majority %d %v, want %d %v", i, e, ok, w.e, w.ok)
		}
	}
	// single votes are outliers: 4 neutral + 3 anger (the sadness vote is dropped)
	d := recs[0].Distribution()
	if math.Abs(d[0]-4.0/7) > 1e-12 || math.Abs(d[4]-3.0/7) > 1e-12 || d[3] != 0 {
		t.Errorf("distribution %v", d)
	}
	// only single votes: they all count
	d = recs[4].Distribution()
	if math.Abs(d[0]-1.0/3) > 1e-12 || math.Abs(d[7]-1.0/3) > 1e-12 {
		t.Errorf("distribution of single votes %v", d)
	}
	if _, err := Parse(strings.NewReader("a,b,1,2,x,0,0,0,0,0,0,0\nb,b,1,2,x,0,0,0,0,0,0,0\n")); err == nil {
		t.Error("a non-numeric vote past the first line was accepted")
	}
}

func TestClassIndex(t *testing.T) {
	fer2013 := []string{"angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"}
	got := ClassIndex(fer2013)
	want := []int{4, 3, 6, 5, 0, 1, 2, -1}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("FER2013 classes: %v, want %v", got, want)
		}
	}
	got = ClassIndex(Emotions)
	for i := range got {
		if got[i] != i {
			t.Fatalf("FER+ classes: %v", got)
		}
	}
}
