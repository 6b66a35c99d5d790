package evaluate_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ferlive/ferlive/internal/contract"
	"github.com/ferlive/ferlive/internal/evaluate"
)

// TestListFERPlus lists a FER+ folder with majority labels, for a FER+
// model (8 classes) and a FER2013 model (contempt skipped), and finds the
// folder from the dataset root and a split name.
func TestListFERPlus(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "ferplus", "data", "FER2013Test")
	csv := `fer1.png,"(0, 0, 48, 48)",8,1,0,0,1,0,0,0,0,0
fer2.png,"(0, 0, 48, 48)",0,0,0,0,0,0,0,9,1,0
fer3.png,"(0, 0, 48, 48)",0,0,0,0,0,0,0,0,10,0
fer4.png,"(0, 0, 48, 48)",0,0,0,7,0,0,0,0,0,3
`
	for _, n := range []string{"fer1.png", "fer2.png", "fer3.png", "fer4.png"} {
		makeImage(t, filepath.Join(dir, n), 100)
	}
	if err := os.WriteFile(filepath.Join(dir, "label.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	if d, ok := evaluate.FERPlusFolder(root, "FER2013Test"); !ok || d != dir {
		t.Fatalf("FERPlusFolder(root, FER2013Test) = %q, %v", d, ok)
	}
	if d, ok := evaluate.FERPlusFolder(dir, ""); !ok || d != dir {
		t.Fatalf("FERPlusFolder(dir) = %q, %v", d, ok)
	}
	if _, ok := evaluate.FERPlusFolder(root, ""); ok {
		t.Fatal("the root without a split taken for a FER+ folder")
	}
	l, err := evaluate.ListFERPlus(dir, contract.FERPlusLabels)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Samples) != 3 || l.Samples[0].Class != 0 || l.Samples[1].Class != 7 || l.Samples[2].Class != 3 || len(l.Skipped) != 0 {
		t.Fatalf("FER+ labels: %+v", l)
	}
	l, err = evaluate.ListFERPlus(dir, contract.FER2013Labels)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Samples) != 2 || l.Samples[0].Class != 4 || l.Samples[1].Class != 5 || len(l.Skipped) != 1 || l.Skipped[0] != "contempt (1 faces)" {
		t.Fatalf("FER2013 labels: %+v", l)
	}
}
