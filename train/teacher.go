//go:build torch

package train

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/infer"
	"github.com/ferlive/ferlive/internal/ort"
	"github.com/ferlive/ferlive/train/data"
)

// teacherBatch is how many faces go through a teacher in one call.
const teacherBatch = 256

// Teachers lists the --teacher models (comma-separated paths).
func (o *Options) Teachers() []string {
	var out []string
	for _, p := range strings.Split(o.Teacher, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// teacherProbs classifies every face of d with each teacher (an exported
// ferlive model, run by ONNX Runtime with the runtime's own preprocessing,
// each face averaged with its mirror image, as training flips faces) and
// returns the teachers' mean probabilities over d's classes, and each
// teacher's agreement with d's labels.
func teacherProbs(o Options, paths []string, d *data.Dataset) ([][]float32, []float64, error) {
	if err := ort.InitDefault(o.ORTLib, o.ortFallback); err != nil {
		return nil, nil, fmt.Errorf("--teacher: %w", err)
	}
	mean := make([][]float32, d.Len())
	for i := range mean {
		mean[i] = make([]float32, len(d.Classes))
	}
	agree := make([]float64, len(paths))
	for ti, path := range paths {
		p, err := classifyFaces(path, d, o.Threads)
		if err != nil {
			return nil, nil, fmt.Errorf("--teacher %s: %w", path, err)
		}
		agree[ti] = agreement(p, d.Labels)
		for i, q := range p {
			for k, v := range q {
				mean[i][k] += v / float32(len(paths))
			}
		}
	}
	return mean, agree, nil
}

// agreement is the fraction of probability vectors whose top class is the label.
func agreement(p [][]float32, labels []int) float64 {
	var right int
	for i, q := range p {
		if argmax(q) == labels[i] {
			right++
		}
	}
	return float64(right) / float64(len(p))
}

// classifyFaces runs one teacher over d's faces and its mirror images and
// returns probabilities over d's classes.
func classifyFaces(path string, d *data.Dataset, threads int) ([][]float32, error) {
	c, err := infer.Open(path, ort.Options{Threads: threads})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	index, err := data.TeacherClasses(c.Labels(), d.Classes)
	if err != nil {
		return nil, err
	}
	c.SetMirror(true)
	out := make([][]float32, 0, d.Len())
	for lo := 0; lo < d.Len(); lo += teacherBatch {
		hi := min(lo+teacherBatch, d.Len())
		p, err := classifyBatch(c, d, lo, hi)
		if err != nil {
			return nil, err
		}
		for _, q := range p {
			out = append(out, data.Project(q, index))
		}
	}
	return out, nil
}

// classifyBatch classifies faces lo..hi-1 of d in one call.
func classifyBatch(c *infer.Classifier, d *data.Dataset, lo, hi int) ([][]float32, error) {
	mats := make([]gocv.Mat, 0, hi-lo)
	defer func() {
		for _, m := range mats {
			m.Close()
		}
	}()
	for i := lo; i < hi; i++ {
		m, err := gocv.NewMatFromBytes(d.Size, d.Size, gocv.MatTypeCV8U, d.Images[i])
		if err != nil {
			return nil, fmt.Errorf("face %s: %w", d.Names[i], err)
		}
		mats = append(mats, m)
	}
	in, err := c.PreprocessImages(mats)
	if err != nil {
		return nil, err
	}
	return c.Run(in, hi-lo)
}

// Distillation records the teachers of a run's training targets.
type Distillation struct {
	Teachers   []string  `json:"teachers"`
	Weight     float64   `json:"weight"`      // of the teachers' mean probabilities in the targets
	TrainAgree []float64 `json:"train_agree"` // each teacher's agreement with the training labels
	PublicAcc  float64   `json:"public_acc"`  // the teachers' mean on the selection split
}

// distil replaces the training targets by their mix with the teachers'
// predictions (--teacher, --teacher-weight) and logs how good the
// teachers are on the training and selection faces. The predictions are
// kept in the run folder for --resume.
func (t *Trainer) distil(val string) (*Distillation, error) {
	o := t.opt
	paths := o.Teachers()
	start := time.Now()
	cache := filepath.Join(o.Out, teacherCache)
	key, err := teacherKey(paths, t.train, t.pub)
	if err != nil {
		return nil, err
	}
	p, hdr, err := readTeacherCache(cache, key, t.train.Len(), len(t.train.Classes))
	if err == nil {
		t.logf("teacher predictions of the training faces read from %s", cache)
	} else {
		if o.Resume && errors.Is(err, errTeacherChanged) {
			return nil, fmt.Errorf("--resume: the teachers %s or the training faces differ from those the run started with (%v): put the run's teacher files back, or start a new run", strings.Join(paths, ", "), err)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.logf("teacher predictions: %v; classifying the faces again", err)
		}
		hdr = teacherCacheHeader{Key: key, Faces: t.train.Len()}
		if p, hdr.Agree, err = teacherProbs(o, paths, t.train); err != nil {
			return nil, err
		}
		pv, _, err := teacherProbs(o, paths, t.pub)
		if err != nil {
			return nil, err
		}
		hdr.PublicAcc = agreement(pv, t.pub.Labels)
		if err := writeTeacherCache(cache, hdr, p); err != nil {
			return nil, err
		}
	}
	if t.train, err = data.Distil(t.train, p, o.TeacherWeight); err != nil {
		return nil, err
	}
	var each []string
	for i, a := range hdr.Agree {
		each = append(each, fmt.Sprintf("%s %.2f%%", paths[i], 100*a))
	}
	t.logf("teachers (with mirror images) agree with the training labels: %s; their mean scores %.2f%% on %s; training targets are %.2f x own + %.2f x teachers' (%.0fs)",
		strings.Join(each, ", "), 100*hdr.PublicAcc, val, 1-o.TeacherWeight, o.TeacherWeight, time.Since(start).Seconds())
	return &Distillation{Teachers: paths, Weight: o.TeacherWeight, TrainAgree: hdr.Agree, PublicAcc: hdr.PublicAcc}, nil
}

// teacherCache is the file in the run folder that keeps the teachers'
// predictions of the training faces, so that --resume does not classify
// every face again (minutes per teacher on a small CPU).
const teacherCache = "teacher-targets.bin"

// errTeacherChanged says the kept predictions came from other teacher files
// or other training faces than the run has now.
var errTeacherChanged = errors.New("made from other teachers or faces")

// teacherCacheHeader heads the cache: what the predictions were made from.
type teacherCacheHeader struct {
	Key       string    `json:"key"`
	Faces     int       `json:"faces"`
	Agree     []float64 `json:"train_agree"` // each teacher's agreement with the training labels
	PublicAcc float64   `json:"public_acc"`  // the teachers' mean on the selection split
}

// teacherKey identifies the teachers' files and the faces they classify.
func teacherKey(paths []string, sets ...*data.Dataset) (string, error) {
	h := sha256.New()
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return "", fmt.Errorf("--teacher: %w", err)
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", fmt.Errorf("--teacher %s: %w", p, err)
		}
	}
	for _, d := range sets {
		fmt.Fprintf(h, "%d %d %v\n", d.Len(), d.Size, d.Classes)
		for i, n := range d.Names {
			fmt.Fprintf(h, "%s %d\n", n, d.Labels[i])
			h.Write(d.Images[i])
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeTeacherCache writes a JSON header line and the probabilities as
// little-endian float32.
func writeTeacherCache(path string, hdr teacherCacheHeader, p [][]float32) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	line, _ := json.Marshal(hdr)
	w.Write(append(line, '\n'))
	for _, q := range p {
		if err := binary.Write(w, binary.LittleEndian, q); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// readTeacherCache reads what writeTeacherCache wrote, if it was made from
// the same teachers and faces (key).
func readTeacherCache(path, key string, faces, classes int) ([][]float32, teacherCacheHeader, error) {
	var hdr teacherCacheHeader
	f, err := os.Open(path)
	if err != nil {
		return nil, hdr, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	line, err := r.ReadBytes('\n')
	if err != nil {
		return nil, hdr, fmt.Errorf("%s: %w", path, err)
	}
	if err := json.Unmarshal(line, &hdr); err != nil {
		return nil, hdr, fmt.Errorf("%s: %w", path, err)
	}
	if hdr.Key != key || hdr.Faces != faces {
		return nil, hdr, fmt.Errorf("%s: %w", path, errTeacherChanged)
	}
	p := make([][]float32, faces)
	for i := range p {
		p[i] = make([]float32, classes)
		if err := binary.Read(r, binary.LittleEndian, p[i]); err != nil {
			return nil, hdr, fmt.Errorf("%s: %w", path, err)
		}
	}
	return p, hdr, nil
}
