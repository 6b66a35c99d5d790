//go:build !matprofile

package testenv

import "testing"

// Main runs the tests; built with -tags matprofile it also fails the run
// when a gocv Mat is left open.
func Main(m *testing.M) int { return m.Run() }
