package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/ferlive/ferlive/infer"
	"github.com/ferlive/ferlive/internal/contract"
	"github.com/ferlive/ferlive/internal/evaluate"
	"github.com/ferlive/ferlive/internal/graphstat"
	"github.com/ferlive/ferlive/internal/metrics"
	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/internal/ort"
	"github.com/ferlive/ferlive/internal/progress"
	"github.com/ferlive/ferlive/quantize"
)

// quantizeFlags are the options of `ferlive quantize`.
type quantizeFlags struct {
	model, data, split, out, testData, testSplit, card, ortLib string
	faces, threads                                             int
}

func runQuantize(ctx context.Context, args []string) error {
	var f quantizeFlags
	fs := newFlags("quantize", "ferlive quantize --model M.onnx --data DIR [--split PublicTest] [--faces 512] [--out M-int8.onnx] [--test-split PrivateTest --card M-int8.md]")
	fs.StringVar(&f.model, "model", "", "float32 model: a shipped name (rlrcnet, lfnsb) or an .onnx file (default: the shipped default)")
	fs.StringVar(&f.data, "data", "", "calibration faces, in any layout ferlive eval reads (class folders, a FER+ folder, or a .tar.gz of either); use training or validation faces, not the split you report (required)")
	fs.StringVar(&f.split, "split", "", "keep only images whose name starts with this prefix (e.g. PublicTest), or the folder of that name holding class folders (e.g. train); with a FER+ root, the FER+ folder (e.g. FER2013Valid)")
	fs.IntVar(&f.faces, "faces", 512, "calibration faces, taken evenly over the sorted list (0 = all)")
	fs.StringVar(&f.out, "out", "", "int8 model to write (default: the model's name with -int8, in the working directory)")
	fs.StringVar(&f.testSplit, "test-split", "", "also score the float32 and the int8 model on this split of --data or --test-data (e.g. PrivateTest, FER2013Test; all: every image); the int8 accuracy goes into the model's ferlive.accuracy")
	fs.StringVar(&f.testData, "test-data", "", "test faces for --test-split, if not in --data (e.g. myfaces/test when calibrating on myfaces/train)")
	fs.StringVar(&f.card, "card", "", "write a model card (Markdown, with a confusion-matrix PNG beside it) of the int8 model; needs --test-split")
	fs.IntVar(&f.threads, "threads", 0, "ONNX Runtime intra-op threads (0 = one per core)")
	fs.StringVar(&f.ortLib, "ort-lib", "", "ONNX Runtime shared library")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case f.data == "":
		return usageError{errors.New("quantize: --data is required (calibration faces)")}
	case f.faces < 0:
		return usageError{fmt.Errorf("quantize: --faces %d: want 0 (all) or more", f.faces)}
	case f.card != "" && f.testSplit == "":
		return usageError{errors.New("quantize: --card needs --test-split (the split whose accuracy the card reports)")}
	case f.testData != "" && f.testSplit == "":
		return usageError{errors.New("quantize: --test-data needs --test-split (use --test-split all for every image of it)")}
	case f.testSplit != "" && f.testSplit == f.split && (f.testData == "" || f.testData == f.data):
		return usageError{fmt.Errorf("quantize: --test-split %s is also the calibration --split; calibrate on training or validation faces", f.testSplit)}
	}
	if err := ort.InitDefault(f.ortLib, defaultORTLib); err != nil {
		return err
	}
	path, err := findModel(f.model)
	if err != nil {
		return err
	}
	if f.out == "" {
		f.out = strings.TrimSuffix(filepath.Base(path), ".onnx") + "-int8.onnx"
	}
	start := time.Now()
	m, err := onnx.ReadFile(path)
	if err != nil {
		return err
	}
	if q, ok := m.Meta(contract.KeyQuant); ok {
		return fmt.Errorf("model %s is already quantised (%s); quantise its float32 original", path, q)
	}
	c, err := infer.Open(path, ort.Options{Threads: f.threads})
	if err != nil {
		return err
	}
	defer c.Close()
	q, st, batches, err := calibrateModel(ctx, c, m, path, f)
	if err != nil {
		return err
	}
	took := time.Since(start)
	n := 0
	for _, b := range batches {
		n += b.N
	}
	fmt.Printf("%d convolutions quantised (%d activation ranges), weights %.2f MB float32 -> %.2f MB int8; calibrated on %d faces in %s\n",
		st.Convs, st.Activations, float64(st.FloatBytes)/1e6, float64(st.Int8Bytes)/1e6, n, took.Round(100*time.Millisecond))

	var fconf, qconf *metrics.Confusion
	var speed []quantize.SpeedRow
	if f.testSplit != "" {
		qc, done, err := openTemp(q, f)
		if err != nil {
			return err
		}
		defer done()
		if fconf, qconf, err = scoreBoth(ctx, c, qc, f); err != nil {
			return err
		}
		if f.card != "" {
			spec := c.Spec()
			per := spec.Channels * spec.Size * spec.Size
			if speed, err = quantize.CompareSpeed(c, qc, batches[0].Data, per, speedBatches(batches[0].N), 40); err != nil {
				return err
			}
		}
		q.SetMeta(contract.KeyAccuracy, strconv.FormatFloat(qconf.Accuracy(), 'f', 4, 64))
		fmt.Printf("%s: int8 %.2f%%, float32 %.2f%% (%d images)\n", f.testSplit, 100*qconf.Accuracy(), 100*fconf.Accuracy(), qconf.N())
	} else {
		q.DeleteMeta(contract.KeyAccuracy) // the float model's figure does not describe this one
	}
	if err := onnx.WriteFile(f.out, q); err != nil {
		return fmt.Errorf("writing %s: %w", f.out, err)
	}
	fmt.Printf("wrote %s\n", f.out)
	if f.card == "" {
		if f.testSplit == "" {
			fmt.Printf("check it: ferlive eval --model %s --data %s --split <test split>\n", f.out, f.data)
		}
		return nil
	}
	card, err := quantCard(m, path, f, st, n, took, fconf, qconf, c.Spec().Size)
	if err != nil {
		return err
	}
	card.Speed, card.Threads = speed, threadsUsed(f.threads)
	if err := card.Write(f.card); err != nil {
		return err
	}
	fmt.Printf("wrote %s\n", f.card)
	return nil
}

// calibrateModel runs the float model on the calibration faces and returns
// its int8 version and the calibration batches.
func calibrateModel(ctx context.Context, c *infer.Classifier, m *onnx.Model, path string, f quantizeFlags) (*onnx.Model, quantize.Stats, []quantize.Batch, error) {
	ds, err := openDataset(ctx, f.data, f.split, c.Labels())
	if err != nil {
		return nil, quantize.Stats{}, nil, err
	}
	defer ds.cleanup()
	ds.warnSkipped(path, c.Labels())
	samples := spread(ds.Samples, f.faces)
	if len(samples) == 0 {
		return nil, quantize.Stats{}, nil, fmt.Errorf("dataset %s (split %q): no images to calibrate on", f.data, f.split)
	}
	var batches []quantize.Batch
	bar := progress.New(os.Stderr, "calibrate", len(samples))
	err = evaluate.Batches(ctx, c, samples, 64, func(start int, in []float32, n int) error {
		batches = append(batches, quantize.Batch{Data: append([]float32(nil), in...), N: n})
		bar.Set(start + n)
		return nil
	})
	bar.Finish()
	if err != nil {
		return nil, quantize.Stats{}, nil, err
	}
	ranges, err := quantize.Calibrate(ctx, m, batches, ort.Options{Threads: f.threads})
	if err != nil {
		return nil, quantize.Stats{}, nil, err
	}
	q, st, err := quantize.Model(m, ranges)
	if err != nil {
		return nil, st, nil, err
	}
	q.SetMeta(contract.KeyQuant, fmt.Sprintf("int8 QDQ (%d convolutions, per-channel int8 weights, uint8 activations); calibrated by min/max on %d faces of %s%s",
		st.Convs, len(samples), filepath.Base(f.data), splitNote(f.split)))
	return q, st, batches, nil
}

// openTemp writes the int8 model q to a temporary file and opens it; done
// closes it and removes the file.
func openTemp(q *onnx.Model, f quantizeFlags) (qc *infer.Classifier, done func(), err error) {
	dir, err := os.MkdirTemp("", "ferlive-quant-")
	if err != nil {
		return nil, nil, err
	}
	tmp := filepath.Join(dir, filepath.Base(f.out))
	if err := onnx.WriteFile(tmp, q); err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	qc, err = infer.Open(tmp, ort.Options{Threads: f.threads})
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("the int8 model: %w", err)
	}
	return qc, func() { qc.Close(); os.RemoveAll(dir) }, nil
}

// scoreBoth scores the float model c and its int8 version qc on the test
// split.
func scoreBoth(ctx context.Context, c, qc *infer.Classifier, f quantizeFlags) (fconf, qconf *metrics.Confusion, err error) {
	ds, err := openDataset(ctx, f.testFaces(), f.testPrefix(), c.Labels())
	if err != nil {
		return nil, nil, err
	}
	defer ds.cleanup()
	if len(ds.Samples) == 0 {
		return nil, nil, fmt.Errorf("dataset %s (split %q): no test images", f.testFaces(), f.testSplit)
	}
	for _, r := range []struct {
		c    *infer.Classifier
		name string
		out  **metrics.Confusion
	}{{c, "float32", &fconf}, {qc, "int8", &qconf}} {
		bar := progress.New(os.Stderr, "test "+r.name, len(ds.Samples))
		*r.out, err = evaluate.Run(ctx, r.c, ds.Samples, 64, bar.Set)
		bar.Finish()
		if err != nil {
			return nil, nil, err
		}
	}
	return fconf, qconf, nil
}

// testFaces is the dataset holding the test split.
func (f quantizeFlags) testFaces() string {
	if f.testData != "" {
		return f.testData
	}
	return f.data
}

// testPrefix is the test split as a file-name prefix ("all": every file).
func (f quantizeFlags) testPrefix() string {
	if f.testSplit == "all" {
		return ""
	}
	return f.testSplit
}

// quantCard gathers the int8 model card's figures.
func quantCard(m *onnx.Model, path string, f quantizeFlags, st quantize.Stats, n int, took time.Duration,
	fconf, qconf *metrics.Confusion, size int) (*quantize.Card, error) {
	gs, err := graphstat.Count(m, 1)
	if err != nil {
		return nil, fmt.Errorf("model card: counting %s: %w", path, err)
	}
	ops, err := quantize.RuntimeOps(f.out, ort.Options{Threads: 1})
	if err != nil {
		return nil, fmt.Errorf("model card: %w", err)
	}
	sizeOf := func(p string) int64 {
		if fi, err := os.Stat(p); err == nil {
			return fi.Size()
		}
		return 0
	}
	meta := m.MetaMap()
	cmd := []string{"ferlive quantize --model", f.model, "--data", f.data}
	if f.model == "" {
		cmd[1] = path
	}
	if f.split != "" {
		cmd = append(cmd, "--split", f.split)
	}
	cmd = append(cmd, "--faces", strconv.Itoa(f.faces), "--out", f.out)
	if f.testData != "" {
		cmd = append(cmd, "--test-data", f.testData)
	}
	cmd = append(cmd, "--test-split", f.testSplit, "--card", f.card)
	return &quantize.Card{
		Model: f.out, Source: path, Arch: meta[contract.KeyArch], Dataset: meta[contract.KeyDataset],
		CalibData: f.data, CalibSplit: f.split, CalibFaces: n, TestData: f.testFaces(), TestSplit: f.testSplit,
		Int8: qconf, Float: fconf, Stats: st, RuntimeOps: ops, Params: gs.Params, FLOPs: gs.FLOPs, Size: size,
		ModelBytes: sizeOf(f.out), SourceBytes: sizeOf(path), Command: strings.Join(cmd, " "), Took: took,
	}, nil
}

// speedBatches are the batch sizes the card times (1 and 8, as far as the
// first calibration batch of n faces reaches).
func speedBatches(n int) []int {
	if n >= 8 {
		return []int{1, 8}
	}
	return []int{1}
}

// threadsUsed is the intra-op thread count a session got from --threads.
func threadsUsed(n int) int {
	if n <= 0 {
		return runtime.NumCPU()
	}
	return n
}

func splitNote(split string) string {
	if split == "" {
		return ""
	}
	return " (" + split + ")"
}

// spread keeps n samples taken evenly over the list (all when n is 0 or
// covers it), so that every class folder of a sorted listing contributes.
func spread(s []evaluate.Sample, n int) []evaluate.Sample {
	if n == 0 || n >= len(s) {
		return s
	}
	out := make([]evaluate.Sample, n)
	for i := range out {
		out[i] = s[i*len(s)/n]
	}
	return out
}
