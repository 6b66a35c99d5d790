package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/ferlive/ferlive/infer"
	"github.com/ferlive/ferlive/internal/evaluate"
	"github.com/ferlive/ferlive/internal/metrics"
	"github.com/ferlive/ferlive/internal/ort"
	"github.com/ferlive/ferlive/internal/progress"
)

func runEval(ctx context.Context, args []string) error {
	var (
		model, data, split, ortLib, device, png string
		asJSON, mirror                          bool
		threads, batch                          int
	)
	fs := newFlags("eval", "ferlive eval --model M.onnx --data DIR [--split PrivateTest] [--json]")
	fs.StringVar(&model, "model", "", "model: a shipped name (rlrcnet, lfnsb, rlrcnet-int8, lfnsb-int8) or an .onnx file (default: the shipped default)")
	fs.StringVar(&data, "data", "", "dataset folder holding one folder per class (e.g. fer2013/test), a FER+ folder holding label.csv (e.g. ferplus/data/FER2013Test: majority-vote labels), or a .tar.gz of either, unpacked to a temporary folder (required)")
	fs.StringVar(&split, "split", "", "keep only images whose file name starts with this prefix (e.g. PrivateTest); or the folder of that name holding class folders (e.g. test for myfaces/test/<class>/*); with a FER+ root, the FER+ folder to use (e.g. FER2013Test)")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object instead of tables")
	fs.StringVar(&png, "confusion-png", "", "also draw the confusion matrix to this PNG file")
	fs.BoolVar(&mirror, "mirror", false, mirrorHelp)
	fs.IntVar(&batch, "batch", 64, "images per ONNX Runtime call")
	fs.StringVar(&device, "device", "cpu", "execution provider: cpu, cuda, tensorrt")
	fs.IntVar(&threads, "threads", 0, "ONNX Runtime intra-op threads (0 = one per core)")
	fs.StringVar(&ortLib, "ort-lib", "", "ONNX Runtime shared library")
	if err := parse(fs, args); err != nil {
		return err
	}
	if data == "" {
		return usageError{errors.New("eval: --data is required")}
	}
	if err := ort.InitDefault(ortLib, defaultORTLib); err != nil {
		return err
	}
	path, err := findModel(model)
	if err != nil {
		return err
	}
	c, err := infer.Open(path, ort.Options{Device: device, Threads: threads})
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetMirror(mirror)
	ds, err := openDataset(ctx, data, split, c.Labels())
	if err != nil {
		return err
	}
	defer ds.cleanup()
	ds.warnSkipped(path, c.Labels())
	data, split = ds.data, ds.split
	list := ds.Listing
	bar := progress.New(os.Stderr, "eval", len(list.Samples))
	conf, err := evaluate.Run(ctx, c, list.Samples, batch, bar.Set)
	bar.Finish()
	if err != nil {
		return err
	}
	if png != "" {
		if err := conf.WritePNG(png, path); err != nil {
			return fmt.Errorf("confusion PNG %s: %w", png, err)
		}
	}
	if asJSON {
		r := evaluate.NewReport(path, data, split, conf, list.Skipped)
		r.Mirror, r.Renamed = mirror, list.Renamed
		return r.WriteJSON(os.Stdout)
	}
	fmt.Printf("model %s\ndata %s split %q\n", path, data, split)
	if mirror {
		fmt.Println("each face averaged with its mirror image (--mirror)")
	}
	return writeTable(conf)
}

func writeTable(c *metrics.Confusion) error { return c.WriteTable(os.Stdout) }
