package overlay

import (
	"os"
	"testing"

	"github.com/ferlive/ferlive/testkit/testenv"
)

// TestMain runs the tests; built with -tags matprofile it fails the run when
// any test leaves a gocv.Mat open (see testenv.Main).
func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
