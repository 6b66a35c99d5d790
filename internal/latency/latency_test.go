package latency

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestPercentilesAndOrder(t *testing.T) {
	r := New()
	for i := 1; i <= 100; i++ {
		r.Add(Infer, time.Duration(i)*time.Millisecond)
		r.Add(Decode, time.Millisecond)
	}
	st := r.Stats()
	if len(st) != 2 || st[0].Name != Decode || st[1].Name != Infer {
		t.Fatalf("stages %+v, want decode then infer", st)
	}
	in := st[1]
	if in.N != 100 || in.Mean != 50.5 || in.P50 < 50 || in.P50 > 51 || in.P90 < 90 || in.P90 > 91 || in.P99 < 99 || in.Max != 100 {
		t.Fatalf("infer stats %+v", in)
	}
	var b bytes.Buffer
	if err := r.WriteTable(&b); err != nil || !strings.Contains(b.String(), "infer") {
		t.Fatalf("table %q err %v", b.String(), err)
	}
}

func TestReservoirKeepsBound(t *testing.T) {
	r := New()
	for i := 0; i < maxSamples+1000; i++ {
		r.Add(Detect, time.Millisecond)
	}
	if n := len(r.stages[Detect].samples); n != maxSamples {
		t.Fatalf("%d samples kept, want %d", n, maxSamples)
	}
	if s := r.Stats()[0]; s.N != maxSamples+1000 || s.P50 != 1 {
		t.Fatalf("stats %+v", s)
	}
}

type stageLog map[string][]time.Duration

func (l stageLog) ObserveStage(name string, d time.Duration) { l[name] = append(l[name], d) }

// TestObserver: an observer sees every duration recorded, by Add and Since.
func TestObserver(t *testing.T) {
	r := New()
	l := stageLog{}
	r.Observe(l)
	r.Add(Detect, 3*time.Millisecond)
	r.Since(Infer, time.Now().Add(-2*time.Millisecond))
	if len(l[Detect]) != 1 || l[Detect][0] != 3*time.Millisecond {
		t.Errorf("detect observed %v, want [3ms]", l[Detect])
	}
	if len(l[Infer]) != 1 || l[Infer][0] < 2*time.Millisecond {
		t.Errorf("infer observed %v, want one duration >= 2ms", l[Infer])
	}
}

func TestDrift(t *testing.T) {
	r := New()
	if _, _, _, ok := r.Drift(EndToEnd); ok {
		t.Fatal("drift of an empty stage")
	}
	// short run: the two halves
	for i := 0; i < 100; i++ {
		ms := 10
		if i >= 50 {
			ms = 30
		}
		r.Add(EndToEnd, time.Duration(ms)*time.Millisecond)
	}
	if first, last, n, ok := r.Drift(EndToEnd); !ok || n != 50 || first != 10 || last != 30 {
		t.Fatalf("short run: first %v last %v n %d ok %v, want 10, 30, 50", first, last, n, ok)
	}
	// long run: the first and the latest driftWindow samples, with a ramp
	// in the middle that neither end sees
	r.Reset()
	for i := 0; i < 5*driftWindow; i++ {
		ms := 20
		switch {
		case i < driftWindow:
			ms = 5
		case i >= 4*driftWindow:
			ms = 40
		}
		r.Add(EndToEnd, time.Duration(ms)*time.Millisecond)
	}
	first, last, n, ok := r.Drift(EndToEnd)
	if !ok || n != driftWindow || first != 5 || last != 40 {
		t.Fatalf("long run: first %v last %v n %d ok %v, want 5, 40, %d", first, last, n, ok, driftWindow)
	}
	var b bytes.Buffer
	if err := r.WriteTable(&b); err != nil || !strings.Contains(b.String(), "e2e (capture to drawn): first 300 frames 5.00 ms, last 300 frames 40.00 ms") {
		t.Fatalf("table %q err %v", b.String(), err)
	}
}
