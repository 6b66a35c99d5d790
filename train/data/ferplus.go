package data

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/ferlive/ferlive/internal/ferplus"
)

// FERPlusEmotions are the eight emotion columns of FER+'s label.csv, in order.
var FERPlusEmotions = ferplus.Emotions

// FERPlusToFER2013 maps FER+ emotion names to FER2013 class names.
var FERPlusToFER2013 = ferplus.ToFER2013

// FERPlusFolders are the FER+ splits: train on FER2013Train, select on
// FER2013Valid, report FER2013Test.
func FERPlusFolders() (train, valid, test string) {
	return "FER2013Train", "FER2013Valid", "FER2013Test"
}

// LoadFERPlus reads one FER+ folder (e.g. "FER2013Train": the FER2013
// training faces relabelled by 10 annotators each) with majority-vote
// labels over the ten columns of label.csv. Images whose majority is
// unknown, not-a-face or an emotion without a class in classes (FER+
// contempt for the 7 FER2013 classes) are dropped, as are ties. Class
// names are mapped with FERPlusToFER2013 when classes are FER2013's.
func LoadFERPlus(src, folder string, classes []string, size int) (*Dataset, error) {
	return loadFERPlus(src, folder, classes, size, false)
}

// LoadFERPlusSoft is LoadFERPlus (same faces, same majority labels) that
// also sets Soft: each face's vote distribution over classes (single votes
// dropped as outliers, as in FER+'s reference code; emotions without a
// class dropped; renormalised), the soft target of FER+'s "probability"
// training mode.
func LoadFERPlusSoft(src, folder string, classes []string, size int) (*Dataset, error) {
	return loadFERPlus(src, folder, classes, size, true)
}

func loadFERPlus(src, folder string, classes []string, size int, soft bool) (*Dataset, error) {
	csvData, err := readMember(src, folder, "label.csv")
	if err != nil {
		return nil, err
	}
	recs, err := ferplus.Parse(bytes.NewReader(csvData))
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", src, folder, err)
	}
	names, imgs, err := LoadFolderImages(src, folder, size)
	if err != nil {
		return nil, err
	}
	byName := map[string]int{}
	for i, n := range names {
		byName[n] = i
	}
	cls := ferplus.ClassIndex(classes)
	d := &Dataset{Classes: append([]string(nil), classes...), Size: size}
	for _, r := range recs {
		e, ok := r.Majority()
		if !ok || cls[e] < 0 {
			continue
		}
		i, ok := byName[r.Image]
		if !ok {
			continue
		}
		d.Images = append(d.Images, imgs[i])
		d.Labels = append(d.Labels, cls[e])
		d.Names = append(d.Names, names[i])
		if soft {
			q := make([]float32, len(classes))
			var sum float64
			for k, p := range r.Distribution() {
				if cls[k] >= 0 {
					q[cls[k]] += float32(p)
					sum += p
				}
			}
			if sum == 0 {
				q[cls[e]], sum = 1, 1
			}
			for k := range q {
				q[k] /= float32(sum)
			}
			d.Soft = append(d.Soft, q)
		}
	}
	if d.Len() == 0 {
		return nil, fmt.Errorf("%s: no labelled images in %s", src, folder)
	}
	return d, nil
}

// IsFERPlus reports whether src is a FER+ dataset: a directory tree or
// .tar.gz holding FER2013Train, FER2013Valid or FER2013Test folders.
func IsFERPlus(src string) bool {
	st, err := os.Stat(src)
	if err != nil {
		return false
	}
	tr, va, te := FERPlusFolders()
	if st.IsDir() {
		found := false
		_ = walkDirs(src, func(p string) bool {
			b := filepath.Base(p)
			found = b == tr || b == va || b == te
			return found
		})
		return found
	}
	found, n := false, 0
	err = readTarGz(src, func(rel string, _ func() ([]byte, error)) error {
		for _, part := range strings.Split(path.Clean(rel), "/") {
			if part == tr || part == va || part == te {
				found = true
				return errStop
			}
		}
		if n++; n >= 200 { // the FER+ folders come first in the archive
			return errStop
		}
		return nil
	})
	return err == nil && found
}

// ResolveFERPlus accepts the FER+ dataset itself or a data folder holding
// ferplus.tar.gz or ferplus/.
func ResolveFERPlus(p string) string {
	st, err := os.Stat(p)
	if err != nil || !st.IsDir() || IsFERPlus(p) {
		return p
	}
	for _, c := range []string{"ferplus", "ferplus.tar.gz"} {
		if _, err := os.Stat(filepath.Join(p, c)); err == nil {
			return filepath.Join(p, c)
		}
	}
	return p
}

// readMember returns the file name inside the folder named folder.
func readMember(src, folder, name string) ([]byte, error) {
	st, err := os.Stat(src)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return os.ReadFile(path.Join(findFolder(src, folder), name))
	}
	var b []byte
	found := false
	err = readTarGz(src, func(rel string, read func() ([]byte, error)) error {
		if path.Base(rel) != name || path.Base(path.Dir(rel)) != folder {
			return nil
		}
		found = true
		var rerr error
		if b, rerr = read(); rerr != nil {
			return rerr
		}
		return errStop
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%s: no %s/%s", src, folder, name)
	}
	return b, nil
}
