package capture

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestPacedLatestFrame plays a 10-frame video at 50 fps as a synthetic
// camera: frames come about 20 ms apart on the wall clock, stamped with
// their capture time, the file loops, and a consumer slower than the rate
// gets the newest frame while the others are counted as dropped.
func TestPacedLatestFrame(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ten.avi")
	writeTestVideo(t, path, 10, 160, 120, 25)
	if _, err := OpenPaced(path, 0, Options{}); err == nil {
		t.Fatal("OpenPaced at 0 fps: no error")
	}
	src, err := OpenPaced(path, 50, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if info := src.Info(); !info.Live || info.FPS != 50 || info.Width != 160 || info.Height != 120 {
		t.Fatalf("info %+v, want live 160x120 at 50 fps", info)
	}
	ctx := context.Background()
	start := time.Now()
	var last time.Time
	var idx []int
	for i := 0; i < 15; i++ { // past the end of the file: it loops
		f, err := src.Next(ctx)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if f.Captured.IsZero() || f.Captured.Before(last) || time.Since(f.Captured) < 0 {
			t.Fatalf("frame %d: captured at %v (previous %v)", i, f.Captured, last)
		}
		last = f.Captured
		idx = append(idx, decodeIndex(f.Mat))
		f.Mat.Close()
	}
	// 15 frames at 50 fps: about 280 ms after the first; far less would
	// mean no pacing
	if el := time.Since(start); el < 200*time.Millisecond {
		t.Fatalf("15 frames at 50 fps took %v: not paced", el)
	}
	looped := false // the index falls back after frame 9 (a frame or two may be dropped under load)
	for i := 1; i < len(idx); i++ {
		looped = looped || idx[i] < idx[i-1]
	}
	if !looped {
		t.Fatalf("frame indexes %v: the file did not loop", idx)
	}
	// a slow consumer: the frames in between are dropped, the newest is returned
	time.Sleep(200 * time.Millisecond)
	f, err := src.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Mat.Close()
	if age := time.Since(f.Captured); age > 60*time.Millisecond {
		t.Fatalf("after a pause the frame returned is %v old, want the newest", age)
	}
	if d := src.(DropCounter).Dropped(); d < 5 {
		t.Fatalf("%d frames dropped during a 200 ms pause at 50 fps, want about 10", d)
	}
}
