package data

import (
	"archive/tar"
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
)

// FERPlusEmotions are the eight emotion columns of FER+'s label.csv, in order.
var FERPlusEmotions = []string{"neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt"}

// FERPlusToFER2013 maps FER+ emotion names to FER2013 class names.
var FERPlusToFER2013 = map[string]string{
	"neutral": "neutral", "happiness": "happy", "surprise": "surprise", "sadness": "sad",
	"anger": "angry", "disgust": "disgust", "fear": "fear",
}

// LoadFERPlus reads one FER+ folder (e.g. "FER2013Train": the FER2013
// training faces relabelled by 10 annotators each) with majority-vote
// labels over the ten columns of label.csv. Images whose majority is
// unknown, not-a-face or an emotion without a class in classes (FER+
// contempt for the 7 FER2013 classes) are dropped, as are ties. Class
// names are mapped with FERPlusToFER2013 when classes are FER2013's.
func LoadFERPlus(src, folder string, classes []string, size int) (*Dataset, error) {
	csvData, err := readMember(src, folder, "label.csv")
	if err != nil {
		return nil, err
	}
	names, imgs, err := LoadFolderImages(src, folder, size)
	if err != nil {
		return nil, err
	}
	byName := map[string]int{}
	for i, n := range names {
		byName[n] = i
	}
	index := map[string]int{}
	for i, c := range classes {
		index[c] = i
	}
	recs, err := csv.NewReader(strings.NewReader(string(csvData))).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s/%s/label.csv: %w", src, folder, err)
	}
	d := &Dataset{Classes: append([]string(nil), classes...), Size: size}
	for _, r := range recs {
		if len(r) < 12 {
			continue
		}
		votes := make([]int, 10)
		for k := range votes {
			votes[k], _ = strconv.Atoi(strings.TrimSpace(r[2+k]))
		}
		best, tie := 0, false
		for k := 1; k < 10; k++ {
			if votes[k] > votes[best] {
				best, tie = k, false
			} else if votes[k] == votes[best] {
				tie = true
			}
		}
		if tie || best >= 8 || votes[best] == 0 {
			continue
		}
		name := FERPlusEmotions[best]
		if m, ok := FERPlusToFER2013[name]; ok {
			if _, ok := index[m]; ok {
				name = m
			}
		}
		l, ok := index[name]
		if !ok {
			continue
		}
		i, ok := byName[strings.TrimSpace(r[0])]
		if !ok {
			continue
		}
		d.Images = append(d.Images, imgs[i])
		d.Labels = append(d.Labels, l)
		d.Names = append(d.Names, names[i])
	}
	if d.Len() == 0 {
		return nil, fmt.Errorf("%s: no labelled images in %s", src, folder)
	}
	return d, nil
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
	f, err := os.Open(src)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("%s: no %s/%s", src, folder, name)
		}
		if err != nil {
			return nil, err
		}
		if path.Base(h.Name) == name && path.Base(path.Dir(h.Name)) == folder {
			return io.ReadAll(tr)
		}
	}
}
