package quantize

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ferlive/ferlive/internal/metrics"
)

// Card is what a model card of an int8 model reports: where it came from,
// how it was calibrated, and its accuracy next to its float original's on
// the same test images.
type Card struct {
	Model, Source string // int8 and float32 model files
	Arch, Dataset string // from the source's metadata
	CalibData     string // calibration data and split, as given
	CalibSplit    string
	CalibFaces    int
	TestData      string // test data and split, as given
	TestSplit     string
	Int8, Float   *metrics.Confusion // on the test split
	Stats         Stats
	RuntimeOps    map[string]int // operators ONNX Runtime runs (RuntimeOps)
	Params        int64          // of the float original
	FLOPs         int64          // per face, of the float original
	Size          int            // input side
	ModelBytes    int64          // file sizes
	SourceBytes   int64
	Speed         []SpeedRow    // CompareSpeed on this machine, if measured
	Threads       int           // ONNX Runtime intra-op threads of the timing
	Command       string        // the quantize command line
	Took          time.Duration // calibration and quantisation (not the evaluation)
}

// titles of the architectures and datasets named by the model contract
var titles = map[string]string{"rlrcnet": "RLR-CNet", "lfnsb": "LFNSB", "fer2013": "FER2013", "ferplus": "FER+"}

func title(s string) string {
	if t, ok := titles[s]; ok {
		return t
	}
	return s
}

// Write writes the card as Markdown to path and its confusion matrix to
// <path without .md>-confusion.png.
func (c *Card) Write(path string) error {
	png := strings.TrimSuffix(path, filepath.Ext(path)) + "-confusion.png"
	name, src := filepath.Base(c.Model), filepath.Base(c.Source)
	arch, ds := title(c.Arch), title(c.Dataset)
	if err := c.Int8.WritePNG(png, fmt.Sprintf("%s int8, %s %s (ONNX Runtime)", arch, ds, c.TestSplit)); err != nil {
		return fmt.Errorf("confusion PNG %s: %w", png, err)
	}
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	pct := func(v float64) string { return fmt.Sprintf("%.2f%%", 100*v) }
	srcCard := strings.TrimSuffix(src, ".onnx") + ".md"
	p("# %s: %s int8 (%s)\n\n", name, arch, ds)
	p("Post-training static int8 quantisation of [%s](%s) (trained by ferlive; its card gives the data, training command and time) by `ferlive quantize`. Same graph and metadata, with int8 convolutions.\n\n", src, srcCard)
	p("| | |\n|---|---|\n")
	p("| %s accuracy, int8 (ONNX Runtime, runtime preprocessing) | **%s** (%d images) |\n", c.TestSplit, pct(c.Int8.Accuracy()), c.Int8.N())
	p("| Same images, float32 original | %s (change %+.2f points) |\n", pct(c.Float.Accuracy()), 100*(c.Int8.Accuracy()-c.Float.Accuracy()))
	p("| Mean per-class accuracy, int8 / float32 | %s / %s |\n", pct(c.Int8.MeanClassAccuracy()), pct(c.Float.MeanClassAccuracy()))
	p("| Weights in the graph | %d (as in the original's graph, batch norm folded; convolution weights stored as int8) |\n", c.Params)
	p("| FLOPs per %dx%d face | %.1f M (the original's count; the convolutions run as integer multiply-accumulates) |\n", c.Size, c.Size, float64(c.FLOPs)/1e6)
	p("| File | %s, %.2f MB (float32 original %.2f MB); convolution weights %.2f MB -> %.2f MB |\n",
		name, float64(c.ModelBytes)/1e6, float64(c.SourceBytes)/1e6, float64(c.Stats.FloatBytes)/1e6, float64(c.Stats.Int8Bytes)/1e6)

	if len(c.Speed) > 0 {
		p("| Time per face, int8 / float32 (ONNX Runtime CPU, %s, median of alternating calls in one run) |", plural(c.Threads, "thread"))
		for i, r := range c.Speed {
			if i > 0 {
				p(";")
			}
			p(" batch %d: %.2f / %.2f ms (%.2fx)", r.Batch, ms(r.Int8), ms(r.Float), r.Ratio())
		}
		p(" |\n")
	}
	p("\n## Method\n\n")
	p("QDQ format (as ONNX Runtime's own quantiser writes it): each of the %d convolutions reads `DequantizeLinear(QuantizeLinear(x))`, its weights are int8, symmetric, one scale per output channel, its bias int32 at scale x_scale * w_scale, and its output passes through a Quantize/Dequantize pair (%d activation tensors in all, uint8, asymmetric, ranges widened to hold 0). ", c.Stats.Convs, c.Stats.Activations)
	p("Ranges are the minimum and maximum that the float model produced on %d calibration faces of `%s`%s, taken evenly over its sorted file list, preprocessed as the runtime does. The activations, attention, pooling and classifier between the convolutions stay float32; input and output are float32 as before.\n\n", c.CalibFaces, filepath.Base(c.CalibData), splitText(c.CalibSplit))
	if len(c.RuntimeOps) > 0 {
		p("Operators ONNX Runtime runs after its graph optimisations (CPU): %s.\n\n", opsText(c.RuntimeOps))
	}

	p("## Per-class accuracy (%s)\n\n| class | images | int8 | float32 |\n|---|---:|---:|---:|\n", c.TestSplit)
	pi, pf, sup := c.Int8.PerClass(), c.Float.PerClass(), c.Int8.Support()
	for i, l := range c.Int8.Labels {
		p("| %s | %d | %s | %s |\n", l, sup[i], pct(pi[i]), pct(pf[i]))
	}
	p("\n## Confusion matrix, int8 (%s; rows true, columns predicted)\n\n%s\n![confusion matrix](%s)\n\n", c.TestSplit, c.Int8.Markdown(), filepath.Base(png))
	p("## Reproduce\n\n```\n%s\n```\n\nCalibration and quantisation took %s on this machine; the test faces (`%s`, split `%s`) were then scored with both models. They were not used for calibration.\n", c.Command, c.Took.Round(100*time.Millisecond), filepath.Base(c.TestData), c.TestSplit)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("model card %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("model card %s: %w", path, err)
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func splitText(split string) string {
	if split == "" {
		return ""
	}
	return " (split `" + split + "`)"
}

// opsText lists operator counts, most frequent first.
func opsText(ops map[string]int) string {
	keys := make([]string, 0, len(ops))
	for k := range ops {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if ops[keys[i]] != ops[keys[j]] {
			return ops[keys[i]] > ops[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, ops[k])
	}
	return strings.Join(parts, ", ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
