package data

import (
	"context"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferlive/ferlive/internal/contract"
	"github.com/ferlive/ferlive/testkit/testenv"
)

// writeFERPlus writes a small FER+ folder tree: root/data/<folder>/ with
// gray PNGs and a label.csv of the given vote rows.
func writeFERPlus(t *testing.T, root, folder string, votes [][10]int) {
	t.Helper()
	dir := filepath.Join(root, "data", folder)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var csv []byte
	for i, v := range votes {
		name := filepath.Join(dir, "fer"+string(rune('a'+i))+".png")
		im := image.NewGray(image.Rect(0, 0, 48, 48))
		for j := range im.Pix {
			im.Pix[j] = uint8(i*20 + j%7)
		}
		f, err := os.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, im); err != nil {
			t.Fatal(err)
		}
		f.Close()
		line := filepath.Base(name) + `,"(0, 0, 48, 48)"`
		for _, x := range v {
			line += "," + string(rune('0'+x))
		}
		csv = append(csv, line+"\n"...)
	}
	if err := os.WriteFile(filepath.Join(dir, "label.csv"), csv, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestFERPlusSoftLabels loads a small FER+ tree in majority and soft modes
// and batches the soft targets.
func TestFERPlusSoftLabels(t *testing.T) {
	root := t.TempDir()
	writeFERPlus(t, root, "FER2013Train", [][10]int{
		{6, 3, 0, 0, 0, 0, 0, 1, 0, 0}, // neutral; contempt's single vote dropped
		{0, 0, 0, 0, 0, 0, 0, 0, 9, 1}, // unknown: dropped
		{0, 0, 0, 2, 0, 0, 0, 8, 0, 0}, // contempt
		{5, 5, 0, 0, 0, 0, 0, 0, 0, 0}, // tie: dropped
	})
	if !IsFERPlus(root) || IsFERPlus(t.TempDir()) {
		t.Fatal("IsFERPlus does not recognise the FER+ layout")
	}
	hard, err := LoadFERPlus(root, "FER2013Train", contract.FERPlusLabels, 48)
	if err != nil {
		t.Fatal(err)
	}
	soft, err := LoadFERPlusSoft(root, "FER2013Train", contract.FERPlusLabels, 48)
	if err != nil {
		t.Fatal(err)
	}
	if hard.Len() != 2 || soft.Len() != 2 || hard.Soft != nil || len(soft.Soft) != 2 {
		t.Fatalf("majority %d faces, soft %d faces (%d targets)", hard.Len(), soft.Len(), len(soft.Soft))
	}
	if hard.Labels[0] != 0 || hard.Labels[1] != 7 || soft.Labels[0] != 0 || soft.Labels[1] != 7 {
		t.Fatalf("labels %v / %v", hard.Labels, soft.Labels)
	}
	if q := soft.Soft[0]; math.Abs(float64(q[0])-2.0/3) > 1e-6 || math.Abs(float64(q[1])-1.0/3) > 1e-6 || q[7] != 0 {
		t.Fatalf("soft target %v", q)
	}
	// FER2013 classes: contempt has no class, so that face is dropped
	f13, err := LoadFERPlusSoft(root, "FER2013Train", contract.FER2013Labels, 48)
	if err != nil || f13.Len() != 1 || f13.Labels[0] != 4 || f13.Soft[0][4] < 0.66 {
		t.Fatalf("FER2013 classes: %+v, %v", f13, err)
	}
	ld := &Loader{Data: soft, Batch: 2, Samplers: []Sampler{Uniform{N: 2}}, Seed: 1, Workers: 1}
	for b := range ld.Epoch(context.Background(), 0, 0) {
		if len(b.Q) != 2*8 {
			t.Fatalf("batch soft targets: %d values", len(b.Q))
		}
		for i, y := range b.Y {
			if b.Q[i*8+int(y)] < 0.5 {
				t.Fatalf("soft target %v does not favour label %d", b.Q[i*8:i*8+8], y)
			}
		}
	}
}

// TestLoadFERPlusSplits reads the shared FER+ archive's validation split in
// both modes (same faces and labels) and recognises the archives.
func TestLoadFERPlusSplits(t *testing.T) {
	dir := testenv.Data(t)
	p := filepath.Join(dir, "ferplus.tar.gz")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s absent", p)
	}
	if !IsFERPlus(p) || ResolveFERPlus(dir) != p {
		t.Fatalf("%s not recognised as FER+ (resolve %s)", p, ResolveFERPlus(dir))
	}
	if f13 := filepath.Join(dir, "fer2013.tar.gz"); IsFERPlus(f13) {
		t.Fatalf("%s taken for FER+", f13)
	}
	_, valid, _ := FERPlusFolders()
	hard, err := LoadFERPlus(p, valid, contract.FERPlusLabels, 48)
	if err != nil {
		t.Fatal(err)
	}
	soft, err := LoadFERPlusSoft(p, valid, contract.FERPlusLabels, 48)
	if err != nil {
		t.Fatal(err)
	}
	if hard.Len() != soft.Len() || hard.Len() < 3000 || hard.Len() > 3579 {
		t.Fatalf("valid: %d majority faces, %d soft", hard.Len(), soft.Len())
	}
	agree := 0
	for i, q := range soft.Soft {
		var sum float64
		best := 0
		for k, v := range q {
			sum += float64(v)
			if v > q[best] {
				best = k
			}
		}
		if math.Abs(sum-1) > 1e-5 || hard.Labels[i] != soft.Labels[i] {
			t.Fatalf("face %d: soft target %v (sum %g), labels %d / %d", i, q, sum, hard.Labels[i], soft.Labels[i])
		}
		if best == soft.Labels[i] {
			agree++
		}
	}
	t.Logf("FER2013Valid: %d faces, counts %v; soft argmax = majority for %d", hard.Len(), hard.Counts(), agree)
	if agree < hard.Len()*95/100 {
		t.Fatalf("soft targets favour the majority label for only %d of %d faces", agree, hard.Len())
	}
}
