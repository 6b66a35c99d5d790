//go:build matprofile

package testenv

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

// Main runs the tests and, in a build with -tags matprofile, fails the run
// when any gocv Mat is left open, printing where the leaked Mats were made.
// Use it from TestMain: os.Exit(testenv.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if n := gocv.MatProfile.Count(); n != 0 {
		var b strings.Builder
		gocv.MatProfile.WriteTo(&b, 1)
		fmt.Fprintf(os.Stderr, "FAIL: %d gocv Mats left open:\n%s\n", n, b.String())
		if code == 0 {
			code = 1
		}
	}
	return code
}
