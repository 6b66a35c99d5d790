package capture

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// badFolder writes good images 1.png, 3.png and 5.png, a 0-byte 0.jpg
// (first, so the open must skip it) and a text file 4.jpg.
func badFolder(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, i := range []int{1, 3, 5} {
		writeImage(t, filepath.Join(dir, string(rune('0'+i))+".png"), 160, 120, i)
	}
	writeFile(t, filepath.Join(dir, "0.jpg"), nil)
	writeFile(t, filepath.Join(dir, "4.jpg"), []byte("not an image\n"))
	return dir
}

func TestFolderStopsAtFirstBadFile(t *testing.T) {
	dir := badFolder(t)
	_, err := Open(dir, Options{})
	var bad *BadFileError
	if !errors.As(err, &bad) || filepath.Base(bad.Path) != "0.jpg" || !strings.Contains(err.Error(), "empty file (0 bytes)") {
		t.Fatalf("open: %v, want the 0-byte 0.jpg named", err)
	}
}

func TestFolderSkipsBadFiles(t *testing.T) {
	dir := badFolder(t)
	var skipped []string
	src, err := Open(dir, Options{OnBadFile: func(file string, reason error) {
		skipped = append(skipped, filepath.Base(file)+": "+reason.Error())
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if n := src.Info().Frames; n != 5 {
		t.Errorf("Info.Frames = %d, want the 5 files", n)
	}
	var got []int
	for {
		f, err := src.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		painted := decodeIndex(f.Mat)
		got = append(got, painted)
		if want := filepath.Join(dir, string(rune('0'+painted))+".png"); f.Path != want {
			t.Errorf("frame %d: Path %s, want %s", f.Index, f.Path, want)
		}
		f.Mat.Close()
	}
	if len(got) != 3 || got[0] != 1 || got[1] != 3 || got[2] != 5 {
		t.Errorf("frames painted %v, want [1 3 5]", got)
	}
	if len(skipped) != 2 || !strings.HasPrefix(skipped[0], "0.jpg: empty file") || !strings.HasPrefix(skipped[1], "4.jpg: not a readable image") {
		t.Errorf("skipped %q", skipped)
	}
}

func TestFolderAllBad(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.jpg"), nil)
	writeFile(t, filepath.Join(dir, "b.png"), nil)
	n := 0
	_, err := Open(dir, Options{OnBadFile: func(string, error) { n++ }})
	if err == nil || !strings.Contains(err.Error(), "none of its 2 images") || n != 2 {
		t.Errorf("err %v after %d reports, want none readable after 2", err, n)
	}
}
