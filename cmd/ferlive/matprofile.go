//go:build matprofile

package main

import (
	"fmt"
	"os"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/internal/telemetry"
)

// registerMatGauge serves, in a build with -tags matprofile (the soak's),
// the number of gocv Mats open as ferlive_open_mats.
func registerMatGauge(m *telemetry.Metrics) {
	_ = m.GaugeFunc("open_mats", "gocv Mats open now (matprofile build only)", func() float64 {
		return float64(gocv.MatProfile.Count())
	})
}

// reportMats prints how many gocv Mats are still open when ferlive exits
// (matprofile build): 0 after a clean run.
func reportMats() {
	fmt.Fprintf(os.Stderr, "ferlive: matprofile: %d gocv Mats open at exit\n", gocv.MatProfile.Count())
}
