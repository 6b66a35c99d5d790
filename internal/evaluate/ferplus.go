package evaluate

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ferlive/ferlive/internal/ferplus"
)

// FERPlusFolder returns the FER+ folder (one holding label.csv and the
// images) that data and split designate: data itself, or the folder named
// split (e.g. FER2013Test) at most three levels below data. ok is false
// when data is not in the FER+ layout.
func FERPlusFolder(data, split string) (dir string, ok bool) {
	if isFERPlusDir(data) {
		return data, true
	}
	if split == "" {
		return "", false
	}
	var found string
	var walk func(d string, depth int)
	walk = func(d string, depth int) {
		ents, err := os.ReadDir(d)
		if err != nil || found != "" {
			return
		}
		for _, e := range ents {
			if !e.IsDir() {
				continue
			}
			p := filepath.Join(d, e.Name())
			if e.Name() == split && isFERPlusDir(p) {
				found = p
				return
			}
			if depth < 3 {
				walk(p, depth+1)
			}
		}
	}
	walk(data, 1)
	return found, found != ""
}

func isFERPlusDir(d string) bool {
	st, err := os.Stat(filepath.Join(d, "label.csv"))
	return err == nil && !st.IsDir()
}

// ListFERPlus lists the faces of a FER+ folder with their majority-vote
// labels (the FER+ protocol: faces whose most voted column is unknown or
// not-a-face, or with a tie, are left out), mapped to the model's labels by
// name (FER+ names, or FER2013 names for the seven shared emotions). Faces
// of an emotion the model has no label for (contempt for a FER2013 model)
// are reported in Skipped, never mislabelled.
func ListFERPlus(dir string, labels []string) (*Listing, error) {
	f, err := os.Open(filepath.Join(dir, "label.csv"))
	if err != nil {
		return nil, fmt.Errorf("FER+ folder %s: %w", dir, err)
	}
	defer f.Close()
	recs, err := ferplus.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("FER+ folder %s: %w", dir, err)
	}
	cls := ferplus.ClassIndex(labels)
	out := &Listing{}
	skipped := map[string]int{}
	for _, r := range recs {
		e, ok := r.Majority()
		if !ok {
			continue
		}
		if cls[e] < 0 {
			skipped[ferplus.Emotions[e]]++
			continue
		}
		p := filepath.Join(dir, r.Image)
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("FER+ folder %s: label.csv names %s: %w", dir, r.Image, err)
		}
		out.Samples = append(out.Samples, Sample{Path: p, Class: cls[e]})
	}
	for e, n := range skipped {
		out.Skipped = append(out.Skipped, fmt.Sprintf("%s (%d faces)", e, n))
	}
	sort.Strings(out.Skipped)
	if len(out.Samples) == 0 {
		return nil, fmt.Errorf("FER+ folder %s: no face has a majority label among the model's labels %s", dir, strings.Join(labels, ", "))
	}
	sort.Slice(out.Samples, func(i, j int) bool { return out.Samples[i].Path < out.Samples[j].Path })
	return out, nil
}
