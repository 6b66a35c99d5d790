//go:build torch

package train

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferlive/ferlive/infer"
)

// TestTrainCommandShippedNames fine-tunes the shipped RLR-CNet on a user's
// own faces by name, as `ferlive train --init-from rlrcnet` does wherever
// ferlive is installed: the run starts from the shipped file, and its
// state names that file. A name that is neither a shipped model nor a file
// is refused with the flag and the shipped names.
func TestTrainCommandShippedNames(t *testing.T) {
	dir := filepath.Join("..", "assets", "models")
	shipped, err := infer.FindModel("rlrcnet", []string{dir})
	if err != nil {
		t.Skipf("shipped model absent: %v", err)
	}
	var asked []string
	find := func(name string) (string, error) {
		asked = append(asked, name)
		return infer.FindModel(name, []string{dir})
	}
	root := filepath.Join(t.TempDir(), "myfaces")
	writeOwnFaces(t, root)
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"--arch", "rlrcnet", "--data", root, "--epochs", "1", "--max-steps", "2", "--batch", "16",
		"--optimizer", "adamw", "--lr", "0.0005", "--threads", "1", "--quiet", "--out", out}
	if err := TrainCommand(Installation{FindModel: find})(context.Background(), append(args, "--init-from", "rlrcnet")); err != nil {
		t.Fatal(err)
	}
	st, err := ReadState(filepath.Join(out, "last.pt"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Init == nil || st.Init.Path != shipped || st.Options.InitFrom != shipped {
		t.Fatalf("run state: init %+v, --init-from %q; want the shipped %s", st.Init, st.Options.InitFrom, shipped)
	}
	log, err := os.ReadFile(filepath.Join(out, "log.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "initialised from "+shipped) || !strings.Contains(string(log), "re-centred on 108 training faces") {
		t.Errorf("log does not say the run started from %s and re-centred on its 108 training faces:\n%s", shipped, log)
	}
	if !strings.Contains(string(log), "the classifier starts fresh") { // none of the data's classes is an emotion
		t.Errorf("log does not say the classifier starts fresh:\n%s", log)
	}

	for _, c := range []struct{ flag, value string }{{"--init-from", "rlrcnett"}, {"--teacher", "lfnsb,nosuch.onnx"}} {
		asked = nil
		err := TrainCommand(Installation{FindModel: find})(context.Background(), append(args, "--out", filepath.Join(t.TempDir(), "x"), c.flag, c.value))
		if err == nil || !strings.HasPrefix(err.Error(), c.flag+": ") || !strings.Contains(err.Error(), "rlrcnet, lfnsb") {
			t.Errorf("%s %s: %v, want an error naming the flag and the shipped names", c.flag, c.value, err)
		}
		if want := strings.Split(c.value, ","); strings.Join(asked, ",") != strings.Join(want, ",") {
			t.Errorf("%s %s: looked up %v, want %v", c.flag, c.value, asked, want)
		}
	}
}
