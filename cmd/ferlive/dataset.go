package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/ferlive/ferlive/internal/emotion"
	"github.com/ferlive/ferlive/internal/evaluate"
)

// dataset is a resolved --data / --split: the labelled images and the names
// to report them under.
type dataset struct {
	*evaluate.Listing
	data, split string // as reported: a FER+ folder replaces data and split
	ferplus     bool
	cleanup     func()
}

// openDataset resolves --data (a class-folder tree, a FER+ folder with
// label.csv, or a .tar.gz of either, unpacked to a temporary folder) and
// --split for a model with the given labels. The caller runs cleanup.
func openDataset(ctx context.Context, data, split string, labels []string) (*dataset, error) {
	d := &dataset{data: data, split: split, cleanup: func() {}}
	dir := data
	if evaluate.IsArchive(data) {
		tmp, err := os.MkdirTemp("", "ferlive-data-")
		if err != nil {
			return nil, err
		}
		d.cleanup = func() { os.RemoveAll(tmp) }
		if _, err := evaluate.Unpack(ctx, data, split, tmp); err != nil {
			d.cleanup()
			return nil, err
		}
		dir = tmp
	}
	var err error
	fer, isFER := evaluate.FERPlusFolder(dir, split)
	splitDir := ""
	if split != "" && !isLabel(split, labels) {
		splitDir = evaluate.FindFolder(dir, split)
	}
	switch {
	case isFER:
		// FER+ layout (label.csv beside the images): majority-vote labels
		d.ferplus = true
		d.Listing, err = evaluate.ListFERPlus(fer, labels)
		if dir == data {
			// report the folder itself; an archive keeps its name and split
			d.data, d.split = fer, ""
		}
	case splitDir != "":
		// --split names a folder of class folders (myfaces/test/<class>/*)
		d.Listing, err = evaluate.List(splitDir, "", labels)
	default:
		root := data
		if dir != data { // unpacked archive: find the folder holding the class folders
			var ok bool
			if root, ok = evaluate.ClassRoot(dir, labels); !ok {
				d.cleanup()
				return nil, fmt.Errorf("dataset archive %s: no class folders named like the model's labels %v (want <split>/<class>/<images>, e.g. fer2013/test/happy/*.png) and no FER+ folder %q with label.csv", data, labels, split)
			}
		}
		d.Listing, err = evaluate.List(root, split, labels)
	}
	if err != nil {
		d.cleanup()
		return nil, err
	}
	return d, nil
}

// warnSkipped reports what openDataset could not match to a label of model,
// and the class folders it matched to a label of another spelling.
func (d *dataset) warnSkipped(model string, labels []string) {
	for _, f := range slices.Sorted(maps.Keys(d.Renamed)) {
		fmt.Fprintf(os.Stderr, "ferlive: class folder %q read as label %q of %s\n", f, d.Renamed[f], model)
	}
	for _, s := range d.Skipped {
		if d.ferplus {
			fmt.Fprintf(os.Stderr, "ferlive: skipping %s: no such label in %s %v\n", s, model, labels)
			continue
		}
		fmt.Fprintf(os.Stderr, "ferlive: skipping class folder %q: no label of that name in %s %v\n", s, model, labels)
	}
}

// isLabel reports whether name is one of labels, ignoring case and
// spelling (a class folder, not a split folder).
func isLabel(name string, labels []string) bool {
	_, _, ok := emotion.NewMatcher(labels).Match(name)
	return ok
}
