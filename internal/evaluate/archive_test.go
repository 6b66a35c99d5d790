package evaluate_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ferlive/ferlive/internal/evaluate"
)

// writeTarGz writes a .tar.gz holding the named files (contents: the name).
func writeTarGz(t *testing.T, names ...string) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(n)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "data.tar.gz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			r, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(r))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// TestUnpackSplit extracts only what a split needs: FER2013 files named
// after it, or a FER+ folder of that name with its label.csv; the class
// root is then found below the temporary folder.
func TestUnpackSplit(t *testing.T) {
	arc := writeTarGz(t,
		"fer2013/test/happy/PrivateTest_1.png",
		"fer2013/test/happy/PublicTest_2.png",
		"fer2013/test/sad/PrivateTest_3.png",
		"fer2013/train/happy/Training_4.png",
		"ferplus/data/FER2013Test/label.csv",
		"ferplus/data/FER2013Test/fer0001.png",
		"ferplus/data/FER2013Train/fer0002.png",
	)
	dst := t.TempDir()
	n, err := evaluate.Unpack(context.Background(), arc, "PrivateTest", dst)
	if err != nil || n != 2 {
		t.Fatalf("PrivateTest: %d files, %v; want 2", n, err)
	}
	if got := strings.Join(files(t, dst), " "); got != "fer2013/test/happy/PrivateTest_1.png fer2013/test/sad/PrivateTest_3.png" {
		t.Fatalf("PrivateTest unpacked %s", got)
	}
	if root, ok := evaluate.ClassRoot(dst, []string{"angry", "Happy"}); !ok || root != filepath.Join(dst, "fer2013", "test") {
		t.Fatalf("class root %q, %v", root, ok)
	}
	if _, ok := evaluate.ClassRoot(dst, []string{"contempt"}); ok {
		t.Fatal("found a class root for labels no folder has")
	}
	dst = t.TempDir()
	if n, err := evaluate.Unpack(context.Background(), arc, "FER2013Test", dst); err != nil || n != 2 {
		t.Fatalf("FER2013Test: %d files, %v; want 2", n, err)
	}
	if dir, ok := evaluate.FERPlusFolder(dst, "FER2013Test"); !ok || dir != filepath.Join(dst, "ferplus", "data", "FER2013Test") {
		t.Fatalf("FER+ folder %q, %v", dir, ok)
	}
	if n, err := evaluate.Unpack(context.Background(), arc, "", t.TempDir()); err != nil || n != 7 {
		t.Fatalf("no split: %d files, %v; want all 7", n, err)
	}
	if _, err := evaluate.Unpack(context.Background(), arc, "Validation", t.TempDir()); err == nil || !strings.Contains(err.Error(), `"Validation"`) {
		t.Fatalf("unknown split: %v, want an error naming it", err)
	}
}

// TestUnpackRefusesEscape refuses a member that would land outside the
// destination, and names a file that is not a gzip archive.
func TestUnpackRefusesEscape(t *testing.T) {
	arc := writeTarGz(t, "../outside.png")
	dst := filepath.Join(t.TempDir(), "d")
	if _, err := evaluate.Unpack(context.Background(), arc, "", dst); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Fatalf("escaping member: %v", err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dst), "outside.png")); err == nil {
		t.Fatal("the escaping member was written")
	}
	bad := filepath.Join(t.TempDir(), "text.tar.gz")
	if err := os.WriteFile(bad, []byte("not an archive"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := evaluate.Unpack(context.Background(), bad, "", t.TempDir()); err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "gzip") {
		t.Fatalf("text file: %v, want an error naming it and gzip", err)
	}
}
