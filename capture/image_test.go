package capture

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

// writeImage writes a w x h image painted with index i.
func writeImage(t *testing.T, path string, w, h, i int) {
	t.Helper()
	m := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8UC3)
	defer m.Close()
	drawIndexFrame(&m, i)
	if !gocv.IMWrite(path, m) {
		t.Fatalf("cannot write %s", path)
	}
}

func TestImage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "face.png")
	writeImage(t, path, 160, 120, 5)
	src, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if info := src.Info(); info.Kind != "image" || info.Width != 160 || info.Height != 120 || info.Frames != 1 || info.Live {
		t.Errorf("Info = %+v", info)
	}
	f, err := src.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if f.Path != path || f.Index != 0 || decodeIndex(f.Mat) != 5 || f.Mat.Type() != gocv.MatTypeCV8UC3 {
		t.Errorf("frame: Path %q Index %d painted %d type %v", f.Path, f.Index, decodeIndex(f.Mat), f.Mat.Type())
	}
	f.Mat.Close()
	if _, err := src.Next(context.Background()); !errors.Is(err, io.EOF) {
		t.Errorf("second Next = %v, want io.EOF", err)
	}
	if err := src.Close(); err != nil {
		t.Error(err)
	}
	if err := src.Close(); err != nil {
		t.Error(err)
	}
}

// TestImageCloseUnread: closing an image source that never handed out its
// frame releases it (checked by the matprofile build).
func TestImageCloseUnread(t *testing.T) {
	path := filepath.Join(t.TempDir(), "face.jpg")
	writeImage(t, path, 32, 32, 1)
	src, err := OpenImage(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Next after Close = %v", err)
	}
}

// TestFolder: images in natural order, other files skipped, sizes may
// differ, a broken image is an error that does not end the folder.
func TestFolder(t *testing.T) {
	dir := t.TempDir()
	writeImage(t, filepath.Join(dir, "img10.png"), 80, 60, 10)
	writeImage(t, filepath.Join(dir, "img2.jpg"), 160, 120, 2)
	writeImage(t, filepath.Join(dir, "img1.bmp"), 64, 48, 1)
	writeImage(t, filepath.Join(dir, "IMG3.PNG"), 64, 48, 3)
	writeFile(t, filepath.Join(dir, "img4.png"), []byte("broken"))
	writeFile(t, filepath.Join(dir, "notes.txt"), []byte("skip me"))
	if err := os.Mkdir(filepath.Join(dir, "sub.png"), 0o755); err != nil {
		t.Fatal(err)
	}

	src, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if info := src.Info(); info.Kind != "folder" || info.Frames != 5 || info.Width != 64 || info.Height != 48 {
		t.Errorf("Info = %+v", info)
	}
	want := []struct {
		name    string
		painted int
		w       int
	}{{"img1.bmp", 1, 64}, {"img2.jpg", 2, 160}, {"IMG3.PNG", 3, 64}, {"img4.png", -1, 0}, {"img10.png", 10, 80}}
	for i, w := range want {
		f, err := src.Next(context.Background())
		if w.painted < 0 {
			if err == nil || !strings.Contains(err.Error(), w.name) || !strings.Contains(err.Error(), "not a readable image") {
				t.Fatalf("frame %d (%s): err %v, want one naming the broken image", i, w.name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		got, cols := decodeIndex(f.Mat), f.Mat.Cols()
		f.Mat.Close()
		if f.Index != i || filepath.Base(f.Path) != w.name || got != w.painted || cols != w.w {
			t.Errorf("frame %d: Index %d Path %s painted %d width %d, want %s painted %d width %d",
				i, f.Index, f.Path, got, cols, w.name, w.painted, w.w)
		}
	}
	if _, err := src.Next(context.Background()); !errors.Is(err, io.EOF) {
		t.Errorf("after the last image: %v, want io.EOF", err)
	}
}

func TestNaturalLess(t *testing.T) {
	names := []string{"img10.png", "img2.png", "img1.png", "IMG1b.png", "a.png", "img01.png", "img002.png", "b10", "b9", "frame_100.jpg", "frame_99.jpg"}
	sort.Slice(names, func(i, j int) bool { return naturalLess(names[i], names[j]) })
	want := "a.png b9 b10 frame_99.jpg frame_100.jpg img01.png img1.png IMG1b.png img002.png img2.png img10.png"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("natural order\n got %s\nwant %s", got, want)
	}
}
