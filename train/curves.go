package train

import (
	"bufio"
	"encoding/json"
	"fmt"
	"image/color"
	"os"
	"path/filepath"

	"github.com/ferlive/ferlive/internal/plot"
)

// ReadMetrics reads a run's metrics.jsonl.
func ReadMetrics(path string) ([]EpochMetrics, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []EpochMetrics
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m EpochMetrics
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, m)
	}
	return out, sc.Err()
}

var (
	blue   = color.RGBA{31, 119, 180, 255}
	orange = color.RGBA{255, 127, 14, 255}
	green  = color.RGBA{44, 160, 44, 255}
	red    = color.RGBA{214, 39, 40, 255}
)

// PlotCurves draws loss, accuracy and schedule curves of metrics to path
// (a FER2013 run: PublicTest and PrivateTest).
func PlotCurves(path string, ms []EpochMetrics) error {
	return PlotCurvesSplits(path, ms, "PublicTest", "PrivateTest")
}

// PlotCurvesSplits is PlotCurves with the names of the selection and test
// splits (metrics.jsonl's public and private fields).
func PlotCurvesSplits(path string, ms []EpochMetrics, val, test string) error {
	col := func(f func(EpochMetrics) float64) []float64 {
		v := make([]float64, len(ms))
		for i, m := range ms {
			v[i] = f(m)
		}
		return v
	}
	return plot.Curves(path, []plot.Panel{
		{Title: "loss", YLabel: "cross-entropy", Series: []plot.Series{
			{Name: "train (BBN mix)", Color: blue, Y: col(func(m EpochMetrics) float64 { return m.TrainLoss })},
			{Name: val, Color: orange, Y: col(func(m EpochMetrics) float64 { return m.PublicLoss })},
		}},
		{Title: "accuracy", YLabel: "accuracy", Series: []plot.Series{
			{Name: "train", Color: blue, Y: col(func(m EpochMetrics) float64 { return m.TrainAcc })},
			{Name: val, Color: orange, Y: col(func(m EpochMetrics) float64 { return m.PublicAcc })},
			{Name: test, Color: green, Y: col(func(m EpochMetrics) float64 { return m.PrivateAcc })},
		}},
		{Title: "schedule", YLabel: "value", Series: []plot.Series{
			{Name: "lr / peak lr", Color: red, Y: col(func(m EpochMetrics) float64 { return m.LR / ms[0].peak() })},
			{Name: "BBN a (mean)", Color: green, Y: col(func(m EpochMetrics) float64 { return m.Alpha })},
		}},
	})
}

func (m EpochMetrics) peak() float64 {
	if m.PeakLR > 0 {
		return m.PeakLR
	}
	return 0.1
}

// plotRun redraws a run directory's curves.png from its metrics.jsonl.
func plotRun(dir, val, test string) error {
	ms, err := ReadMetrics(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		return err
	}
	return PlotCurvesSplits(filepath.Join(dir, "curves.png"), ms, val, test)
}
