// Package evaluate measures an exported model on an image-folder dataset
// (<dir>/<class>/<images>) through the runtime's own preprocessing.
package evaluate

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/internal/emotion"
	"github.com/ferlive/ferlive/internal/metrics"
)

// Classifier is the part of infer.Classifier evaluation needs.
type Classifier interface {
	PreprocessImages(imgs []gocv.Mat) ([]float32, error)
	Run(batch []float32, n int) ([][]float32, error)
	Labels() []string
}

// Sample is one image and its class index in the model's labels.
type Sample struct {
	Path  string
	Class int
}

// Listing is what List found.
type Listing struct {
	Samples []Sample
	Skipped []string          // class folders with no matching model label
	Renamed map[string]string // class folders matched to a label of another spelling (angry: anger)
}

var imageExt = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".bmp": true, ".webp": true, ".tif": true, ".tiff": true, ".pgm": true}

// List walks dir/<class>/* and keeps images whose base name starts with
// prefix (all when empty). Class folders are matched to labels by name,
// ignoring case, or else to the one label naming the same emotion in
// another dataset's spelling (folder angry, label anger: reported in
// Renamed); folders with no matching label are reported in Skipped, never
// mislabelled.
func List(dir, prefix string, labels []string) (*Listing, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", dir, err)
	}
	match := emotion.NewMatcher(labels)
	out := &Listing{}
	classDirs := 0
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		classDirs++
		k, renamed, ok := match.Match(e.Name())
		if !ok {
			out.Skipped = append(out.Skipped, e.Name())
			continue
		}
		if renamed {
			if out.Renamed == nil {
				out.Renamed = map[string]string{}
			}
			out.Renamed[e.Name()] = labels[k]
		}
		files, err := os.ReadDir(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("dataset %s: %w", dir, err)
		}
		for _, f := range files {
			if f.IsDir() || !imageExt[strings.ToLower(filepath.Ext(f.Name()))] || !strings.HasPrefix(f.Name(), prefix) {
				continue
			}
			out.Samples = append(out.Samples, Sample{Path: filepath.Join(dir, e.Name(), f.Name()), Class: k})
		}
	}
	if classDirs == 0 {
		return nil, fmt.Errorf("dataset %s: no class folders (want %s/<class>/<images>, e.g. fer2013/test/happy/*.jpg)", dir, dir)
	}
	if len(out.Samples) == 0 {
		msg := fmt.Sprintf("dataset %s: no images", dir)
		if prefix != "" {
			msg += fmt.Sprintf(" whose name starts with %q", prefix)
		}
		if len(out.Skipped) > 0 {
			msg += fmt.Sprintf("; folders %s match none of the model's labels %s", strings.Join(out.Skipped, ", "), strings.Join(labels, ", "))
		}
		return nil, fmt.Errorf("%s", msg)
	}
	sort.Slice(out.Samples, func(i, j int) bool { return out.Samples[i].Path < out.Samples[j].Path })
	return out, nil
}

// Preprocessor is the part of infer.Classifier that turns images into a
// model input batch.
type Preprocessor interface {
	PreprocessImages(imgs []gocv.Mat) ([]float32, error)
}

// Batches decodes the samples as a camera would deliver them (BGR), in
// batches of at most batch, preprocesses each batch as the runtime does and
// hands it to fn with the index of its first sample.
func Batches(ctx context.Context, c Preprocessor, samples []Sample, batch int, fn func(start int, in []float32, n int) error) error {
	return transformed(ctx, c, samples, batch, nil, fn)
}

// Transform changes the decoded image (BGR) of sample i before
// preprocessing: it returns a new image, and the caller closes both.
type Transform func(i int, m gocv.Mat) (gocv.Mat, error)

// transformed is Batches with each decoded image passed through tf (none
// when nil).
func transformed(ctx context.Context, c Preprocessor, samples []Sample, batch int, tf Transform, fn func(start int, in []float32, n int) error) error {
	if batch < 1 {
		batch = 64
	}
	imgs := make([]gocv.Mat, 0, batch)
	closeAll := func() {
		for _, m := range imgs {
			m.Close()
		}
		imgs = imgs[:0]
	}
	defer closeAll()
	for start := 0; start < len(samples); start += batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := min(start+batch, len(samples))
		for i, s := range samples[start:end] {
			m := gocv.IMRead(s.Path, gocv.IMReadColor) // as a camera frame: BGR
			if m.Empty() {
				m.Close()
				return fmt.Errorf("image %s: cannot be decoded", s.Path)
			}
			if tf != nil {
				t, err := tf(start+i, m)
				m.Close()
				if err != nil {
					return fmt.Errorf("image %s: %w", s.Path, err)
				}
				m = t
			}
			imgs = append(imgs, m)
		}
		in, err := c.PreprocessImages(imgs)
		if err != nil {
			return err
		}
		n := len(imgs)
		closeAll()
		if err := fn(start, in, n); err != nil {
			return err
		}
	}
	return nil
}

// Run classifies every sample in batches and returns the confusion matrix.
func Run(ctx context.Context, c Classifier, samples []Sample, batch int, progress func(done int)) (*metrics.Confusion, error) {
	return run(ctx, c, samples, batch, nil, progress)
}

// run is Run with each decoded image passed through tf (none when nil).
func run(ctx context.Context, c Classifier, samples []Sample, batch int, tf Transform, progress func(done int)) (*metrics.Confusion, error) {
	conf := metrics.NewConfusion(c.Labels())
	err := transformed(ctx, c, samples, batch, tf, func(start int, in []float32, n int) error {
		probs, err := c.Run(in, n)
		if err != nil {
			return err
		}
		for i, p := range probs {
			best := 0
			for k, v := range p {
				if v > p[best] {
					best = k
				}
			}
			conf.Add(samples[start+i].Class, best)
		}
		if progress != nil {
			progress(start + n)
		}
		return nil
	})
	return conf, err
}

// Report is the JSON form of an evaluation.
type Report struct {
	Model     string             `json:"model"`
	Data      string             `json:"data"`
	Split     string             `json:"split,omitempty"`
	Mirror    bool               `json:"mirror"` // each face averaged with its mirror image
	Accuracy  float64            `json:"accuracy"`
	MeanClass float64            `json:"mean_class_accuracy"`
	N         int                `json:"n"`
	Labels    []string           `json:"labels"`
	PerClass  map[string]float64 `json:"per_class"`
	Support   map[string]int     `json:"support"`
	Confusion [][]int            `json:"confusion"`
	Skipped   []string           `json:"skipped_folders,omitempty"`
	Renamed   map[string]string  `json:"renamed_folders,omitempty"` // folder: the label it was read as
}

// NewReport summarises a confusion matrix.
func NewReport(model, data, split string, c *metrics.Confusion, skipped []string) Report {
	r := Report{Model: model, Data: data, Split: split, Accuracy: c.Accuracy(), MeanClass: c.MeanClassAccuracy(),
		N: c.N(), Labels: c.Labels, PerClass: map[string]float64{}, Support: map[string]int{}, Confusion: c.M, Skipped: skipped}
	pc, sup := c.PerClass(), c.Support()
	for i, l := range c.Labels {
		r.PerClass[l] = pc[i]
		r.Support[l] = sup[i]
	}
	return r
}

// WriteJSON writes the report as one JSON object.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	return enc.Encode(r)
}

// FindFolder returns the folder named name (ignoring case) in root or one
// folder below it (an archive's top folder), or "" if there is none.
func FindFolder(root, name string) string {
	look := func(d string) string {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if e.IsDir() && strings.EqualFold(e.Name(), name) {
				return filepath.Join(d, e.Name())
			}
		}
		return ""
	}
	if p := look(root); p != "" {
		return p
	}
	ents, _ := os.ReadDir(root)
	for _, e := range ents {
		if e.IsDir() {
			if p := look(filepath.Join(root, e.Name())); p != "" {
				return p
			}
		}
	}
	return ""
}
