//go:build torch

package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/ferlive/ferlive/internal/contract"
	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/train/data"
	"github.com/ferlive/ferlive/train/nn"
	"github.com/ferlive/ferlive/train/torch"
)

// ExportOptions are the flags of `ferlive export`.
type ExportOptions struct {
	Checkpoint  string
	Out         string
	Accuracy    string
	InferWeight float64
	CropScale   float64
	CropDY      float64
	Data        string // evaluate the exported model through ONNX Runtime
	Card        string // write a model card (needs Data)
	ORTLib      string
	Threads     int
	RecalBN     int      // re-estimate batch-norm statistics on this many training batches before exporting
	Average     []string // further checkpoints of the run whose weights are averaged with Checkpoint's
	Notes       string   // Markdown file appended to the card
	ortFallback string   // the ONNX Runtime library the binary's build found (Installation.ORTLib)
}

// ReadState reads the state.json next to a checkpoint.
func ReadState(checkpoint string) (*State, error) {
	p := filepath.Join(filepath.Dir(checkpoint), "state.json")
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: its run state: %w", checkpoint, err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return &st, nil
}

// LoadModel builds the run's model and loads the checkpoint's weights.
func LoadModel(checkpoint string) (Net, *State, error) {
	st, err := ReadState(checkpoint)
	if err != nil {
		return nil, nil, err
	}
	m, err := newNet(st, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint %s: %w", checkpoint, err)
	}
	var ts []torch.Named
	for _, v := range m.Vars() {
		ts = append(ts, torch.Named{Name: v.Name, Tensor: v.T})
	}
	if err := torch.Load(checkpoint, ts); err != nil {
		return nil, nil, err
	}
	return m, st, nil
}

// DefaultAverageRecalBN is how many batches re-estimate the batch norms of
// averaged weights when --recalibrate-bn is not given.
const DefaultAverageRecalBN = 100

// AverageWeights replaces the trained parameters of m by their mean over
// m's own and those of the checkpoints at paths (of the same model, e.g.
// the last epochs of a run: stochastic weight averaging). Batch-norm
// running statistics stay as loaded; they do not fit the averaged weights,
// so they must be re-estimated (RecalibrateBN).
func AverageWeights(m Net, paths []string) error {
	var params []nn.Var
	for _, v := range m.Vars() {
		if !v.Buffer {
			params = append(params, v)
		}
	}
	scratch := make([]torch.Named, 0, len(params))
	sums := make([]*torch.Tensor, 0, len(params))
	defer func() {
		for i := range sums {
			sums[i].Drop()
			scratch[i].Tensor.Drop()
		}
	}()
	return torch.NoGrad(func() error {
		for _, v := range params {
			c, err := v.T.Clone()
			if err != nil {
				return err
			}
			s, err := v.T.Clone()
			if err != nil {
				c.Drop()
				return err
			}
			scratch, sums = append(scratch, torch.Named{Name: v.Name, Tensor: c}), append(sums, s)
		}
		for _, p := range paths {
			if err := torch.Load(p, scratch); err != nil {
				return fmt.Errorf("--average %s: not a checkpoint of this model: %w", p, err)
			}
			for i := range sums {
				s, err := sums[i].Add(scratch[i].Tensor)
				if err != nil {
					return err
				}
				sums[i].Drop()
				sums[i] = s
			}
		}
		for i, v := range params {
			mean, err := sums[i].MulScalar(1 / float64(len(paths)+1))
			if err != nil {
				return err
			}
			err = v.T.CopyFrom(mean)
			mean.Drop()
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// Spec returns the model contract of a run's exported model.
func (st *State) Spec(crop contract.Crop, accuracy string) contract.Spec {
	return contract.Spec{
		Labels: st.Labels, Channels: 1, Size: st.size(),
		Mean: []float32{st.Mean}, Std: []float32{st.Std},
		Crop: crop, Arch: st.arch(), Dataset: st.dataset(), Accuracy: accuracy,
	}
}

// Export writes the checkpoint as ONNX and returns the model written.
func Export(o ExportOptions) (*onnx.Model, Net, *State, error) {
	m, st, err := LoadModel(o.Checkpoint)
	if err != nil {
		return nil, nil, nil, err
	}
	w := o.InferWeight
	if w < 0 {
		w = st.Options.InferWeight
	}
	if len(o.Average) > 0 {
		if o.RecalBN <= 0 {
			return nil, nil, nil, errors.New("export: averaged weights need their batch norms re-estimated (--recalibrate-bn)")
		}
		if err := AverageWeights(m, o.Average); err != nil {
			return nil, nil, nil, err
		}
	}
	if o.RecalBN > 0 {
		train, err := LoadTrain(st)
		if err != nil {
			return nil, nil, nil, err
		}
		if err := RecalibrateBN(m, train, st.Mean, st.Std, o.RecalBN, 256, st.Options.Seed); err != nil {
			return nil, nil, nil, err
		}
	}
	spec := st.Spec(contract.Crop{Scale: o.CropScale, DY: o.CropDY}, o.Accuracy)
	om, err := m.Export(w, spec)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("export: %w", err)
	}
	if dir := filepath.Dir(o.Out); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, nil, nil, err
		}
	}
	if err := onnx.WriteFile(o.Out, om); err != nil {
		return nil, nil, nil, fmt.Errorf("export: %w", err)
	}
	return om, m, st, nil
}

// ExportCommand returns `ferlive export`.
func ExportCommand(in Installation) func(context.Context, []string) error {
	return in.command(func(ctx context.Context, args []string) error {
		o := ExportOptions{ortFallback: in.ORTLib}
		return exportCommand(ctx, o, args)
	})
}

func exportCommand(ctx context.Context, o ExportOptions, args []string) error {
	fs := pflag.NewFlagSet("export", pflag.ContinueOnError)
	fs.StringVar(&o.Checkpoint, "checkpoint", "", "checkpoint to export, e.g. runs/NAME/best.pt (its state.json must sit beside it) (required)")
	fs.StringVar(&o.Out, "out", "", "ONNX file to write (required)")
	fs.StringVar(&o.Accuracy, "accuracy", "", "test accuracy (fraction) for the ferlive.accuracy metadata; with --data the measured test accuracy (PrivateTest, or FER+ Test) is used")
	fs.Float64Var(&o.InferWeight, "infer-weight", -1, "weight of the conventional branch at inference (default: the run's --infer-weight, 0.5 as in BBN)")
	fs.Float64Var(&o.CropScale, "crop-scale", 1.2, "face box scale of the contract's crop")
	fs.Float64Var(&o.CropDY, "crop-dy", 0, "downward shift of the crop, fraction of its side")
	fs.StringVar(&o.Data, "data", "", "the run's dataset (directory or .tar.gz): evaluate the exported model through ONNX Runtime on the selection and test splits (FER2013 PublicTest and PrivateTest, or FER+ FER2013Valid and FER2013Test)")
	fs.StringVar(&o.Card, "card", "", "write a Markdown model card here (with --data); its confusion matrix and curves go beside it as PNG")
	fs.StringVar(&o.ORTLib, "ort-lib", "", "ONNX Runtime shared library (default: $FERLIVE_ORT_LIB, the one make deps installs, or the one the build found)")
	fs.IntVar(&o.Threads, "threads", 2, "libtorch and ONNX Runtime threads")
	fs.IntVar(&o.RecalBN, "recalibrate-bn", 0, fmt.Sprintf("re-estimate batch-norm statistics on this many batches of 256 unaugmented training faces before exporting (precise BN; 0: keep the checkpoint's, or %d with --average)", DefaultAverageRecalBN))
	fs.StringSliceVar(&o.Average, "average", nil, "further checkpoints of the same run (comma-separated, e.g. epoch copies of last.pt) whose weights are averaged with --checkpoint's before export (stochastic weight averaging); batch norms are then re-estimated")
	fs.StringVar(&o.Notes, "notes", "", "Markdown file appended to the model card's notes")
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: ferlive export --checkpoint CKPT --out M.onnx [--accuracy F] [--data DIR --card CARD.md]\n\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return usageError{err}
	}
	if o.Checkpoint == "" || o.Out == "" {
		return usageError{errors.New("export: --checkpoint and --out are required")}
	}
	if o.Accuracy != "" {
		if v, err := strconv.ParseFloat(o.Accuracy, 64); err != nil || v < 0 || v > 1 {
			return usageError{fmt.Errorf("export: --accuracy %q: want a fraction between 0 and 1", o.Accuracy)}
		}
	}
	if o.Card != "" && o.Data == "" {
		return errors.New("export: --card needs --data (the card reports measured accuracy)")
	}
	if len(o.Average) > 0 && o.RecalBN == 0 {
		o.RecalBN = DefaultAverageRecalBN
	}
	torch.SetNumThreads(o.Threads)
	om, m, st, err := Export(o)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "exported %s (%d parameters, opset %d) to %s\n", o.Checkpoint, m.NumParams(), m.Opset(), o.Out)
	if o.Data == "" {
		return nil
	}
	rep, err := Report(ctx, o, om, m, st)
	if err != nil {
		return err
	}
	valName, testName := st.Splits()
	fmt.Fprintf(os.Stderr, "ONNX Runtime: %s %.2f%%, %s %.2f%% (libtorch: %.2f%%, %.2f%%)\n",
		testName, 100*rep.Private.Accuracy(), valName, 100*rep.Public.Accuracy(), 100*rep.TorchPrivate, 100*rep.TorchPublic)
	if o.Accuracy == "" {
		om.SetMeta(contract.KeyAccuracy, strconv.FormatFloat(rep.Private.Accuracy(), 'f', 4, 64))
		if err := onnx.WriteFile(o.Out, om); err != nil {
			return err
		}
	}
	if o.Card != "" {
		if err := rep.WriteCard(o.Card); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "model card %s\n", o.Card)
	}
	return nil
}

// LoadTrain loads a run's training split as the run did (restoring the
// degraded faces when the run did; FER+ with majority labels).
func LoadTrain(st *State) (*data.Dataset, error) {
	o := st.Options
	if st.dataset() == "ferplus" {
		tr, _, _ := data.FERPlusFolders()
		return data.LoadFERPlus(data.ResolveFERPlus(o.Data), tr, st.Labels, st.size())
	}
	if st.dataset() == "folders" {
		f, err := probeFolders(o.Data, st.Labels)
		if err != nil {
			return nil, err
		}
		tr, _, _, err := data.LoadFolders(o.Data, f, st.size())
		return tr, err
	}
	tr, _, _ := data.FER2013()
	ds, err := data.Load(o.Data, contract.FER2013Labels, st.size(), tr)
	if err != nil {
		return nil, err
	}
	d := ds[0]
	if o.RestoreFrom != "" {
		_, clean, err := data.LoadFolderImages(o.RestoreFrom, "FER2013Train", st.size())
		if err != nil {
			return nil, err
		}
		min := o.RestoreMin
		if min == 0 {
			min = 0.9
		}
		d, _ = data.Restore(d, clean, min)
	}
	return d, nil
}
