//go:build !matprofile

package main

import "github.com/ferlive/ferlive/internal/telemetry"

// registerMatGauge does nothing without -tags matprofile.
func registerMatGauge(*telemetry.Metrics) {}

// reportMats does nothing without -tags matprofile.
func reportMats() {}
