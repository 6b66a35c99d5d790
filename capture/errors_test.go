package capture

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadVideos: each broken input gives one clear error naming the file.
func TestBadVideos(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.mp4")
	writeTestVideo(t, good, 40, 320, 240, 25)
	goodAVI := filepath.Join(dir, "good.avi")
	writeTestVideo(t, goodAVI, 40, 320, 240, 25)
	mp4, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	avi, err := os.ReadFile(goodAVI)
	if err != nil {
		t.Fatal(err)
	}

	empty := filepath.Join(dir, "empty.mp4")
	writeFile(t, empty, nil)
	text := filepath.Join(dir, "notes.mp4")
	writeFile(t, text, []byte("these are meeting notes, not a video\n"))
	truncMP4 := filepath.Join(dir, "cut.mp4")
	writeFile(t, truncMP4, mp4[:len(mp4)*6/10])
	// An AVI whose FourCC no decoder knows: FFmpeg opens the container but
	// has no codec for the stream.
	badCodec := filepath.Join(dir, "zzzz.avi")
	writeFile(t, badCodec, bytes.ReplaceAll(avi, []byte("MJPG"), []byte("ZZZZ")))
	junk := filepath.Join(dir, "junk.mkv")
	writeFile(t, junk, bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef, 0}, 2000))

	cases := []struct {
		name, path string
		want       []string
	}{
		{"missing", filepath.Join(dir, "nope.mp4"), []string{"no such file", "expected a video"}},
		{"folder", dir, []string{"is a folder", "expected a video"}},
		{"empty", empty, []string{"empty file", "expected a video"}},
		{"text renamed .mp4", text, []string{"not a readable video", "text file"}},
		{"truncated mp4", truncMP4, []string{"not a readable video", "truncated"}},
		{"unsupported codec", badCodec, []string{"not a readable video", "codec"}},
		{"junk", junk, []string{"not a readable video"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src, err := OpenVideo(c.path)
			if err == nil {
				src.Close()
				t.Fatal("opened")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, c.path+":") {
				t.Errorf("error %q does not start with the file name", msg)
			}
			for _, s := range c.want {
				if !strings.Contains(msg, s) {
					t.Errorf("error %q does not mention %q", msg, s)
				}
			}
			t.Log(msg)
		})
	}
	if _, err := OpenVideo(filepath.Join(dir, "nope.mp4")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file error %v does not wrap fs.ErrNotExist", err)
	}
	if _, err := Open(filepath.Join(dir, "nope.mp4"), Options{}); err == nil || !strings.Contains(err.Error(), "nope.mp4") {
		t.Errorf("Open(missing) = %v", err)
	}
}

// TestTruncatedAVI: an AVI cut in half opens, yields the frames it has, then
// an error naming the file and the frame where decoding stopped.
func TestTruncatedAVI(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "full.avi")
	writeTestVideo(t, full, 40, 320, 240, 25)
	data, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.avi")
	writeFile(t, cut, data[:len(data)/2])
	src, err := OpenVideo(cut)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	n, _, err := readAll(t, src)
	if n < 10 || n >= 40 {
		t.Errorf("decoded %d frames of a half file", n)
	}
	if err == nil || !strings.Contains(err.Error(), cut) || !strings.Contains(err.Error(), "40 frames") ||
		!strings.Contains(err.Error(), "frame ") {
		t.Fatalf("end of a truncated AVI: %v, want an error naming the file and frame", err)
	}
	t.Logf("%d frames, then: %v", n, err)
}

// TestBadImages: broken images and folders.
func TestBadImages(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "face.png")
	writeFile(t, text, []byte("not a png"))
	empty := filepath.Join(dir, "empty.jpg")
	writeFile(t, empty, nil)
	for _, c := range []struct{ path, want string }{
		{text, "not a readable image"},
		{empty, "empty file"},
		{filepath.Join(dir, "nope.jpg"), "no such file"},
	} {
		src, err := OpenImage(c.path)
		if err == nil {
			src.Close()
			t.Errorf("%s opened", c.path)
			continue
		}
		if !strings.HasPrefix(err.Error(), c.path+":") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q, want it to name the file and say %q", c.path, err, c.want)
		}
	}

	emptyDir := t.TempDir()
	if _, err := OpenFolder(emptyDir); err == nil || !strings.Contains(err.Error(), "no images") {
		t.Errorf("empty folder: %v", err)
	}
	noImages := t.TempDir()
	writeFile(t, filepath.Join(noImages, "readme.txt"), []byte("hi"))
	if _, err := Open(noImages, Options{}); err == nil || !strings.Contains(err.Error(), noImages) {
		t.Errorf("folder without images: %v", err)
	}
	if _, err := OpenFolder(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing folder: %v", err)
	}
}
