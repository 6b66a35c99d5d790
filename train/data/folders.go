package data

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ferlive/ferlive/internal/contract"
)

// Folders describes a dataset in the plain image-folder layout that
// RAF-DB, CK+ and AffectNet exports (and a user's own faces) come in:
// <root>/train/<class>/*, <root>/test/<class>/* and optionally a validation
// folder <root>/val/<class>/* (also named valid or validation). Without a
// validation folder, every HoldOutEvery-th training image of each class is
// held out for checkpoint selection and never trained on.
type Folders struct {
	// FER2013 is set when the training files carry FER2013's name
	// prefixes (Training_*, PublicTest_*, PrivateTest_*): the tree follows
	// the FER2013 protocol instead.
	FER2013 bool
	// Classes are the labels in output order: FER2013's or FER+'s order
	// when the class folders are exactly those emotions, else the folder
	// names sorted; lower case.
	Classes []string
	// Val is the validation folder's name as found ("" = held out of train).
	Val string
	// Counts are the images per split folder (train, test, and Val).
	Counts map[string]int
}

// HoldOutEvery is the stride of the held-out validation images.
const HoldOutEvery = 10

// HeldOut reports whether the training image of the given rank (its index
// among its class's images sorted by file name) is held out for validation.
func HeldOut(rank int) bool { return rank%HoldOutEvery == HoldOutEvery-1 }

// valNames are the accepted names of a validation folder.
var valNames = []string{"val", "valid", "validation"}

// ProbeFolders lists the dataset at path (a directory or a .tar.gz; the
// split folders may sit one folder deeper) without decoding anything and
// describes its layout. A tree without train/ and test/ image folders is an
// error that says what was found.
func ProbeFolders(path string) (*Folders, error) {
	path = resolve(path)
	classes := map[string]map[string]bool{} // split -> class folders
	counts := map[string]int{}
	f := &Folders{Counts: counts}
	add := func(rel string, _ func() ([]byte, error)) error {
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) < 3 || !isImage(parts[len(parts)-1]) {
			return nil
		}
		split, class, name := parts[len(parts)-3], strings.ToLower(parts[len(parts)-2]), parts[len(parts)-1]
		if classes[split] == nil {
			classes[split] = map[string]bool{}
		}
		classes[split][class] = true
		counts[split]++
		if strings.EqualFold(split, "train") && strings.HasPrefix(name, "Training") {
			f.FER2013 = true
		}
		return nil
	}
	if err := walkFiles(path, add); err != nil {
		return nil, err
	}
	find := func(names ...string) string {
		for split := range classes {
			for _, n := range names {
				if strings.EqualFold(split, n) {
					return split
				}
			}
		}
		return ""
	}
	train, test := find("train"), find("test")
	if train == "" || test == "" {
		var found []string
		for s := range classes {
			found = append(found, fmt.Sprintf("%s/ (%d images)", s, counts[s]))
		}
		sort.Strings(found)
		return nil, fmt.Errorf("dataset %s: want image folders <root>/train/<class>/* and <root>/test/<class>/* (optionally <root>/val/<class>/*); found %v", path, found)
	}
	f.Val = find(valNames...)
	var names []string
	for c := range classes[train] {
		names = append(names, c)
	}
	sort.Strings(names)
	if len(names) < 2 {
		return nil, fmt.Errorf("dataset %s: train/ holds %d class folder(s) %v; a classifier needs at least 2", path, len(names), names)
	}
	f.Classes = names
	for _, known := range [][]string{contract.FER2013Labels, contract.FERPlusLabels} {
		if sameSet(names, known) {
			f.Classes = append([]string(nil), known...)
		}
	}
	for _, s := range []string{test, f.Val} {
		for c := range classes[s] {
			if !contains(f.Classes, c) {
				return nil, fmt.Errorf("dataset %s: %s/ has a class folder %q that train/ lacks (classes %v)", path, s, c, f.Classes)
			}
		}
	}
	return f, nil
}

// LoadFolders loads the training, validation and test splits of a
// Folders dataset as size x size gray images.
func LoadFolders(path string, f *Folders, size int) (train, val, test *Dataset, err error) {
	sels := []Selection{{Dir: "train"}, {Dir: "test"}}
	if f.Val != "" {
		sels = append(sels, Selection{Dir: f.Val})
	}
	ds, err := Load(path, f.Classes, size, sels...)
	if err != nil {
		return nil, nil, nil, err
	}
	if f.Val != "" {
		return ds[0], ds[2], ds[1], nil
	}
	train, val = SplitHeldOut(ds[0])
	if val.Len() == 0 {
		return nil, nil, nil, fmt.Errorf("dataset %s: too few training images to hold out a validation set (every %dth of each class); add a val/ folder", path, HoldOutEvery)
	}
	return train, val, ds[1], nil
}

// SplitHeldOut splits d into the images it keeps for training and those
// HeldOut holds out (HeldOutMask).
func SplitHeldOut(d *Dataset) (train, val *Dataset) {
	train = &Dataset{Classes: d.Classes, Size: d.Size}
	val = &Dataset{Classes: d.Classes, Size: d.Size}
	for i, held := range HeldOutMask(d.Names, d.Labels) {
		dst := train
		if held {
			dst = val
		}
		dst.Images = append(dst.Images, d.Images[i])
		dst.Labels = append(dst.Labels, d.Labels[i])
		dst.Names = append(dst.Names, d.Names[i])
		if d.Soft != nil {
			dst.Soft = append(dst.Soft, d.Soft[i])
		}
	}
	return train, val
}

// HeldOutMask says which of the images (file names and class labels, in
// any order) HeldOut holds out, ranking each class's images by file name:
// the one rule for the trainer and for evaluating the validation files.
func HeldOutMask(names []string, labels []int) []bool {
	idx := make([]int, len(names))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return names[idx[a]] < names[idx[b]] })
	held := make([]bool, len(names))
	rank := map[int]int{}
	for _, i := range idx {
		held[i] = HeldOut(rank[labels[i]])
		rank[labels[i]]++
	}
	return held
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !contains(b, x) {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
