package facedetect

import (
	"os"
	"testing"

	"github.com/ferlive/ferlive/testkit/testenv"
)

// TestMain runs the tests; with -tags matprofile, testenv.Main also fails the
// run when a gocv.Mat was left open.
func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
