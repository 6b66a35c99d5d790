package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferlive/ferlive/infer"
	"github.com/ferlive/ferlive/internal/degrade"
	"github.com/ferlive/ferlive/internal/evaluate"
	"github.com/ferlive/ferlive/internal/metrics"
	"github.com/ferlive/ferlive/internal/ort"
	"github.com/ferlive/ferlive/internal/progress"
)

func runEval(ctx context.Context, args []string) error {
	var (
		model, data, split, ortLib, device, png, corrupt, card string
		asJSON, mirror                                         bool
		threads, batch                                         int
		seed                                                   int64
	)
	fs := newFlags("eval", "ferlive eval --model M.onnx --data DIR [--split PrivateTest] [--json]")
	fs.StringVar(&model, "model", "", "model: a shipped name (rlrcnet, lfnsb, rlrcnet-int8, lfnsb-int8) or an .onnx file (default: the shipped default)")
	fs.StringVar(&data, "data", "", "dataset folder holding one folder per class (e.g. fer2013/test), a FER+ folder holding label.csv (e.g. ferplus/data/FER2013Test: majority-vote labels), or a .tar.gz of either, unpacked to a temporary folder (required)")
	fs.StringVar(&split, "split", "", "keep only images whose file name starts with this prefix (e.g. PrivateTest); or the folder of that name holding class folders (e.g. test for myfaces/test/<class>/*); with a FER+ root, the FER+ folder to use (e.g. FER2013Test)")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object instead of tables")
	fs.StringVar(&png, "confusion-png", "", "also draw the confusion matrix to this PNG file")
	fs.BoolVar(&mirror, "mirror", false, mirrorHelp)
	fs.StringVar(&corrupt, "corrupt", "", "robustness benchmark: also score the split under corruptions, each at three severities: all, or a comma-separated list of "+degrade.Names()+"; prints accuracy per corruption and severity, the mean corrupted accuracy and its drop from clean")
	fs.StringVar(&card, "card", "", "with --corrupt, also write the result as the \"## Robustness\" section of this model card (.md), replacing the section if the card has one")
	fs.Int64Var(&seed, "corrupt-seed", 1, "with --corrupt, seed of the random parts (noise, tilt direction); the same seed gives the same corrupted images")
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
	var cors []degrade.Corruption
	if card != "" && corrupt == "" {
		return usageError{errors.New("eval: --card needs --corrupt (it writes the robustness section)")}
	}
	if corrupt != "" {
		var err error
		if cors, err = degrade.Parse(corrupt); err != nil {
			return usageError{fmt.Errorf("eval: --corrupt: %w", err)}
		}
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
	if cors != nil {
		shown := data
		if evaluate.IsArchive(shown) {
			shown = filepath.Base(shown)
		}
		cmd := fmt.Sprintf("ferlive eval --model %s --data %s", orDefault(model, filepath.Base(path)), shown)
		if split != "" {
			cmd += " --split " + split
		}
		cmd += " --corrupt " + corrupt
		if seed != 1 {
			cmd += fmt.Sprintf(" --corrupt-seed %d", seed)
		}
		if mirror {
			cmd += " --mirror"
		}
		return runRobustness(ctx, c, ds, path, cors, seed, batch, png, asJSON, card, cmd)
	}
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

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func writeTable(c *metrics.Confusion) error { return c.WriteTable(os.Stdout) }

// runRobustness is eval --corrupt: the clean split, then each corruption at
// each severity.
func runRobustness(ctx context.Context, c *infer.Classifier, ds *dataset, path string, cors []degrade.Corruption, seed int64, batch int, png string, asJSON bool, card, cmd string) error {
	o := evaluate.RobustOptions{Corruptions: cors, Seed: seed, Batch: batch}
	bar := progress.New(os.Stderr, "robustness", o.Total(len(ds.Samples)))
	o.Progress = func(done, _ int) { bar.Set(done) }
	o.Done = func(c evaluate.CorruptionResult) {
		acc := make([]string, len(c.Severities))
		for i, s := range c.Severities {
			acc[i] = fmt.Sprintf("%.2f%%", 100*s.Accuracy)
		}
		fmt.Fprintf(os.Stderr, "\nferlive: %s: %s (mean %.2f%%)\n", c.Name, strings.Join(acc, ", "), 100*c.Mean)
	}
	r, clean, err := evaluate.RunRobustness(ctx, c, ds.Samples, o)
	bar.Finish()
	if err != nil {
		return err
	}
	if png != "" {
		if err := clean.WritePNG(png, path); err != nil {
			return fmt.Errorf("confusion PNG %s: %w", png, err)
		}
	}
	r.Clean.Model, r.Clean.Data, r.Clean.Split = path, ds.data, ds.split
	r.Clean.Mirror, r.Clean.Skipped, r.Clean.Renamed = c.Mirror(), ds.Skipped, ds.Renamed
	if card != "" {
		if err := evaluate.UpdateCard(card, r.CardSection(cmd)); err != nil {
			return err
		}
	}
	if asJSON {
		return r.WriteJSON(os.Stdout)
	}
	fmt.Printf("model %s\ndata %s split %q\n", path, ds.data, ds.split)
	if c.Mirror() {
		fmt.Println("each face averaged with its mirror image (--mirror)")
	}
	fmt.Println()
	fmt.Print(r.Markdown())
	return nil
}
