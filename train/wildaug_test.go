//go:build torch

package train

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestWildAugmentationOptions: --shear, --box-jitter, --aug-light and
// --aug-small are off by default (the command line of a default run names
// none of them), reach the training loader, are kept in the run state and
// the card's command line, change the training batches, and bad values are
// refused.
func TestWildAugmentationOptions(t *testing.T) {
	parse := func(args ...string) (Options, error) {
		o := DefaultOptions()
		fs := pflag.NewFlagSet("train", pflag.ContinueOnError)
		o.Flags(fs)
		if err := fs.Parse(append([]string{"--data", "x"}, args...)); err != nil {
			return o, err
		}
		return o, o.Validate()
	}
	def, err := parse()
	if err != nil {
		t.Fatal(err)
	}
	if cmd := CommandLine(def); strings.Contains(cmd, "--aug-") || strings.Contains(cmd, "--shear") || strings.Contains(cmd, "--box-jitter") {
		t.Errorf("default command line names a wild augmentation: %s", cmd)
	}
	for _, bad := range [][]string{{"--aug-light", "1.5"}, {"--aug-small", "-0.1"}, {"--shear", "50"}, {"--box-jitter", "0.9"}} {
		if _, err := parse(bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}

	root := filepath.Join(t.TempDir(), "myfaces")
	writeFaces(t, root, []string{"happy", "neutral", "sad"})
	o := tinyRunOptions(t, root)
	o.Limit, o.Batch, o.Threads = 0, 16, 1
	o.Mask, o.Shift, o.Scale, o.Rotate, o.NoFlip = "off", 0, 0, 0, true
	plain := setUpTrainer(t, o, testLog{t}).loader()
	o.Out = filepath.Join(t.TempDir(), "wild")
	o.Shear, o.BoxJitter, o.AugLight, o.AugSmall = 8, 0.12, 0.4, 0.3
	tr := setUpTrainer(t, o, testLog{t})
	wild := tr.loader()
	if a := wild.Aug; a.Shear != 8 || a.Jitter != 0.12 || a.Light != 0.4 || a.Small != 0.3 {
		t.Fatalf("loader augmentation %+v: want shear 8, jitter 0.12, light 0.4, small 0.3", a)
	}
	b, err := json.Marshal(tr.st)
	if err != nil {
		t.Fatal(err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if so := st.Options; so.Shear != 8 || so.BoxJitter != 0.12 || so.AugLight != 0.4 || so.AugSmall != 0.3 {
		t.Errorf("run state keeps shear %g, jitter %g, light %g, small %g", so.Shear, so.BoxJitter, so.AugLight, so.AugSmall)
	}
	cmd := CommandLine(st.Options)
	for _, f := range []string{"--shear 8", "--box-jitter 0.12", "--aug-light 0.4", "--aug-small 0.3", "--shift 0", "--no-flip"} {
		if !strings.Contains(cmd, f) {
			t.Errorf("card command line lacks %q: %s", f, cmd)
		}
	}
	// the same step with and without them: most images change
	pb, wb := <-plain.Epoch(context.Background(), 0, 0), <-wild.Epoch(context.Background(), 0, 0)
	n := len(pb.X) / pb.N()
	changed := 0
	for i := 0; i < pb.N(); i++ {
		for j := i * n; j < (i+1)*n; j++ {
			if pb.X[j] != wb.X[j] {
				changed++
				break
			}
		}
	}
	if pb.N() != wb.N() || changed < pb.N()/2 {
		t.Errorf("wild augmentation changed %d of %d images of the first batch, want most", changed, pb.N())
	}
}
