package capture

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"
)

// TestVideoReadBack writes 40 indexed 640x360 frames at 25 fps and reads
// every one back, in order, with container timestamps.
func TestVideoReadBack(t *testing.T) {
	const n, w, h, fps = 40, 640, 360, 25.0
	for _, ext := range []string{".mp4", ".avi"} {
		t.Run(ext[1:], func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "clip"+ext)
			writeTestVideo(t, path, n, w, h, fps)

			src, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			info := src.Info()
			if info.Kind != "video" || info.Live || info.Name != path {
				t.Errorf("Info = %+v, want a non-live video named %s", info, path)
			}
			if info.Width != w || info.Height != h || info.FPS != fps || info.Frames != n {
				t.Errorf("Info = %dx%d %g fps %d frames, want %dx%d %g fps %d frames",
					info.Width, info.Height, info.FPS, info.Frames, w, h, fps, n)
			}
			var last time.Duration = -1
			for i := 0; ; i++ {
				f, err := src.Next(context.Background())
				if errors.Is(err, io.EOF) {
					if i != n {
						t.Fatalf("EOF after %d frames, want %d", i, n)
					}
					break
				}
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				got := decodeIndex(f.Mat)
				cols, rows := f.Mat.Cols(), f.Mat.Rows()
				f.Mat.Close()
				if f.Index != i || got != i {
					t.Fatalf("frame %d: Index %d, painted index %d", i, f.Index, got)
				}
				if cols != w || rows != h {
					t.Fatalf("frame %d is %dx%d, want %dx%d", i, cols, rows, w, h)
				}
				if f.PTS <= last {
					t.Fatalf("frame %d: PTS %v not after %v", i, f.PTS, last)
				}
				want := time.Duration(float64(i) / fps * float64(time.Second))
				if d := f.PTS - want; d > time.Millisecond || d < -time.Millisecond {
					t.Fatalf("frame %d: PTS %v, want ≈ %v", i, f.PTS, want)
				}
				if f.Path != "" {
					t.Fatalf("frame %d: Path %q, want empty for a video", i, f.Path)
				}
				last = f.PTS
			}
			if _, err := src.Next(context.Background()); !errors.Is(err, io.EOF) {
				t.Errorf("Next after the end = %v, want io.EOF", err)
			}
			if err := src.Close(); err != nil {
				t.Error(err)
			}
			if err := src.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
			if _, err := src.Next(context.Background()); !errors.Is(err, ErrClosed) {
				t.Errorf("Next after Close = %v, want ErrClosed", err)
			}
		})
	}
}

// TestVideoContextDone: a cancelled context stops a file source without
// consuming a frame.
func TestVideoContextDone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clip.avi")
	writeTestVideo(t, path, 3, 64, 48, 10)
	src, err := OpenVideo(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next(cancelled) = %v", err)
	}
	f, err := src.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f.Mat.Close()
	if f.Index != 0 {
		t.Errorf("first frame after a cancelled Next has Index %d", f.Index)
	}
}
