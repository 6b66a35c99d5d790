package data

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferlive/ferlive/internal/contract"
	"github.com/ferlive/ferlive/testkit/testenv"
)

// writeTree writes n gray PNGs (of distinct levels) per class under
// root/split/class/.
func writeTree(t *testing.T, root, split string, classes []string, n int) {
	t.Helper()
	for ci, c := range classes {
		dir := filepath.Join(root, split, c)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			im := image.NewGray(image.Rect(0, 0, 20, 20))
			for p := range im.Pix {
				im.Pix[p] = uint8(40*ci + i)
			}
			f, err := os.Create(filepath.Join(dir, fmt.Sprintf("img%03d.png", i)))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, im); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
}

// TestFoldersHoldOut: a RAF-DB-like tree with Train/ and test/ (any case)
// and its own class names trains on its classes in sorted order and holds
// out every tenth training image per class for selection, disjoint from
// training.
func TestFoldersHoldOut(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, "Train", []string{"Smile", "calm", "tense"}, 25)
	writeTree(t, root, "test", []string{"smile", "calm", "tense"}, 4)
	f, err := ProbeFolders(root)
	if err != nil {
		t.Fatal(err)
	}
	if f.FER2013 || f.Val != "" || strings.Join(f.Classes, ",") != "calm,smile,tense" {
		t.Fatalf("probe %+v, want plain folders, classes calm,smile,tense, no val folder", f)
	}
	tr, va, te, err := LoadFolders(root, f, 16)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Len() != 3*23 || va.Len() != 3*2 || te.Len() != 12 {
		t.Fatalf("train %d val %d test %d, want 69, 6 (every 10th of 25 per class) and 12", tr.Len(), va.Len(), te.Len())
	}
	if c := va.Counts(); c[0] != 2 || c[1] != 2 || c[2] != 2 {
		t.Errorf("held-out counts %v, want 2 per class", c)
	}
	held := map[string]bool{}
	for i, n := range va.Names {
		held[fmt.Sprint(va.Labels[i], n)] = true
		if n != "img009.png" && n != "img019.png" {
			t.Errorf("held out %s, want img009 and img019 of each class", n)
		}
	}
	for i, n := range tr.Names {
		if held[fmt.Sprint(tr.Labels[i], n)] {
			t.Errorf("%s is both trained on and held out", n)
		}
	}
}

// TestFoldersValAndKnownClasses: a val/ folder is used as it is, and the
// seven FER2013 emotions keep FER2013's label order.
func TestFoldersValAndKnownClasses(t *testing.T) {
	root := filepath.Join(t.TempDir(), "mydata")
	labels := contract.FER2013Labels
	writeTree(t, root, "train", []string{"Surprise", "Sad", "Neutral", "Happy", "Fear", "Disgust", "Angry"}, 3)
	writeTree(t, root, "validation", labels, 2)
	writeTree(t, root, "test", labels[:3], 1)
	f, err := ProbeFolders(root)
	if err != nil {
		t.Fatal(err)
	}
	if f.Val != "validation" || strings.Join(f.Classes, ",") != strings.Join(labels, ",") {
		t.Fatalf("probe %+v, want val folder 'validation' and FER2013's order", f)
	}
	tr, va, te, err := LoadFolders(root, f, 16)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Len() != 21 || va.Len() != 14 || te.Len() != 3 {
		t.Errorf("train %d val %d test %d, want 21, 14, 3", tr.Len(), va.Len(), te.Len())
	}
}

// TestFoldersErrors: layouts the trainer cannot use are named in the error.
func TestFoldersErrors(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, "train", []string{"a", "b"}, 2)
	if _, err := ProbeFolders(root); err == nil || !strings.Contains(err.Error(), "test/") || !strings.Contains(err.Error(), "train/ (4 images)") {
		t.Errorf("no test folder: %v", err)
	}
	writeTree(t, root, "test", []string{"a", "c"}, 1)
	if _, err := ProbeFolders(root); err == nil || !strings.Contains(err.Error(), `"c"`) {
		t.Errorf("test class missing from train: %v", err)
	}
	one := t.TempDir()
	writeTree(t, one, "train", []string{"a"}, 2)
	writeTree(t, one, "test", []string{"a"}, 1)
	if _, err := ProbeFolders(one); err == nil || !strings.Contains(err.Error(), "at least 2") {
		t.Errorf("one class: %v", err)
	}
	few := t.TempDir()
	writeTree(t, few, "train", []string{"a", "b"}, 5)
	writeTree(t, few, "test", []string{"a", "b"}, 1)
	f, err := ProbeFolders(few)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := LoadFolders(few, f, 16); err == nil || !strings.Contains(err.Error(), "val/") {
		t.Errorf("too few to hold out: %v", err)
	}
}

// TestFoldersUndecodable: images that cannot be decoded (a truncated JPEG,
// a text file named .png) stop loading with one error that counts them
// and names each, so a user fixes them in one go; other files are ignored.
func TestFoldersUndecodable(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, "train", []string{"a", "b"}, 12)
	writeTree(t, root, "test", []string{"a", "b"}, 2)
	for name, data := range map[string]string{
		"train/a/cut.jpg":   "\xff\xd8\xff\xe0garbage",
		"train/b/notes.png": "hello",
		"train/b/notes.txt": "not an image file name: ignored",
	} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := ProbeFolders(root)
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, err = LoadFolders(root, f, 16)
	if err == nil {
		t.Fatal("loading a tree with undecodable images succeeded")
	}
	for _, want := range []string{"2 of 30 images cannot be decoded", "train/a/cut.jpg", "train/b/notes.png", "fix or remove them"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "notes.txt") {
		t.Errorf("a .txt file was taken for an image: %v", err)
	}
}

// TestProbeSharedFER2013: the shared FER2013 archive is recognised as
// following its own protocol.
func TestProbeSharedFER2013(t *testing.T) {
	archive := filepath.Join(testenv.Data(t), "fer2013.tar.gz")
	if _, err := os.Stat(archive); err != nil {
		t.Skipf("shared FER2013 archive absent: %v", err)
	}
	f, err := ProbeFolders(archive)
	if err != nil {
		t.Fatal(err)
	}
	if !f.FER2013 || strings.Join(f.Classes, ",") != strings.Join(contract.FER2013Labels, ",") || f.Counts["test"] != 7178 {
		t.Errorf("probe %+v: want the FER2013 protocol, its 7 classes, 7178 test images", f)
	}
}
