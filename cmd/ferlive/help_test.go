package main

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
)

// flagLine is one line of pflag's usage: the flag, at most one word naming
// its value, then at least two spaces and the description.
var flagLine = regexp.MustCompile(`^\s+(-\w, )?--[a-z0-9-]+(\[=[^\]]+\])?( [A-Za-z]+)?\s{2,}\S`)

// TestHelpNamesEveryValueInOneWord runs every command with --help and
// checks that each flag is shown with at most a one-word value name
// (pflag takes a back-quoted phrase of the description as that name, which
// once showed "--keep-epochs ferlive export --average").
func TestHelpNamesEveryValueInOneWord(t *testing.T) {
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			b, err := captureOutput(t, &os.Stderr, func() error { return dispatch(context.Background(), []string{c.name, "--help"}) })
			out := string(b)
			if errors.Is(err, errNoTrainer) {
				t.Skipf("%s: %v", c.name, err)
			}
			n := 0
			for _, l := range strings.Split(out, "\n") {
				if !strings.HasPrefix(strings.TrimSpace(l), "-") {
					continue
				}
				n++
				if !flagLine.MatchString(l) {
					t.Errorf("%s --help: flag line %q does not read as flag, value name, description", c.name, l)
				}
			}
			if n < 2 {
				t.Fatalf("%s --help printed %d flag lines:\n%s", c.name, n, out)
			}
		})
	}
}
