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
