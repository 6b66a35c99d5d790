//go:build matprofile

package capture

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

// TestMain fails the run if any gocv.Mat is still open after the tests:
// every Mat must have an owner that closes it.
func TestMain(m *testing.M) {
	code := m.Run()
	if n := gocv.MatProfile.Count(); n != 0 {
		fmt.Fprintf(os.Stderr, "capture: %d gocv.Mat(s) leaked:\n", n)
		gocv.MatProfile.WriteTo(os.Stderr, 1)
		code = 1
	}
	os.Exit(code)
}

// TestDroppedFramesClosed: frames the latest-frame reader drops, and the
// pending one at Close, are all released.
func TestDroppedFramesClosed(t *testing.T) {
	before := gocv.MatProfile.Count()
	cam := &fakeCam{w: 32, h: 24, interval: time.Millisecond}
	s := newFakeLive(t, &fakeDevice{plan: []*fakeCam{cam}}, Options{}, liveConfig{})
	for i := 0; i < 5; i++ {
		time.Sleep(10 * time.Millisecond)
		f, err := s.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		f.Mat.Close()
	}
	time.Sleep(10 * time.Millisecond) // leave a pending frame for Close
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.Dropped() == 0 {
		t.Error("nothing dropped")
	}
	if after := gocv.MatProfile.Count(); after != before {
		t.Errorf("%d Mats open before, %d after Close", before, after)
	}
}
