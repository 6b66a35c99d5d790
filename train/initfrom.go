//go:build torch

package train

import (
	"fmt"
	"math"
	"math/rand"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ferlive/ferlive/internal/contract"
	"github.com/ferlive/ferlive/internal/emotion"
	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/train/data"
	"github.com/ferlive/ferlive/train/nn"
	"github.com/ferlive/ferlive/train/torch"
)

// InitFrom records the exported model a run started from (--init-from).
type InitFrom struct {
	Path       string   `json:"path"`
	Labels     []string `json:"labels"`         // the model's classes
	Head       bool     `json:"head"`           // its classifier was kept (same classes), or its rows for the data's classes it has
	New        []string `json:"new,omitempty"`  // with Head, the data's classes it lacks, whose rows started fresh
	PublicAcc  float64  `json:"public_acc"`     // on the run's selection split, before training
	PrivateAcc float64  `json:"private_acc"`    // on the run's test split, before training
	Recentred  int      `json:"recentred_bn"`   // batch norms re-centred
	Size       int      `json:"size,omitempty"` // its input side (0 in runs before sizes could differ)
}

// recentreBatches is how many training batches re-centre the batch norms
// of an imported model.
const recentreBatches = 50

// initFrom reads the weights of an exported ferlive model (the run's
// architecture and configuration) into the run's fresh model: every layer
// is imported, the graph is exported again and compared with the file, the
// run adopts the model's input normalisation, and the batch norms are
// re-centred on training faces so that training starts from the function
// the model computes. With other classes than the data's, the classifier
// starts fresh. The model's accuracy on both held-out splits is measured
// and becomes epoch 0, the first best.
func (t *Trainer) initFrom(path string) error {
	g, err := onnx.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--init-from: %w", err)
	}
	spec, err := contract.Parse(g.MetaMap())
	if err != nil {
		return fmt.Errorf("--init-from %s: %w", path, err)
	}
	if q, ok := g.Meta(contract.KeyQuant); ok {
		return fmt.Errorf("--init-from %s is quantised (%s): training needs float weights; start from the float model it was made from", path, q)
	}
	if spec.Arch != t.st.arch() {
		return fmt.Errorf("--init-from %s is a %q model, the run trains %s: pass --arch %s (and its --variant)", path, spec.Arch, t.st.arch(), spec.Arch)
	}
	if spec.Channels != 1 {
		return fmt.Errorf("--init-from %s takes %d-channel faces, the run gray ones", path, spec.Channels)
	}
	head := sameClasses(spec.Labels, t.st.Labels)
	var rows []int // the model's label of each of the data's classes (-1: none)
	if !head {
		if rows = classRows(spec.Labels, t.st.Labels); rows != nil {
			if g, err = selectClasses(g, spec.Labels, rows, t.st.Labels, t.opt.Seed); err != nil {
				return fmt.Errorf("--init-from %s: %w", path, err)
			}
			head = true
		}
	}
	w := t.opt.InferWeight
	if w < 0 {
		w = bbnInferWeight
	}
	exportW := w
	switch n := t.model.(type) {
	case rlrcnetNet:
		exportW, err = n.Import(g, w, head)
	case lfnsbNet:
		err = n.Import(g, head)
	case faceresNet:
		err = n.Import(g, head)
	default:
		err = fmt.Errorf("architecture %s cannot import", t.st.arch())
	}
	if err != nil {
		return fmt.Errorf("--init-from %s does not fit --arch %s: %w", path, describeArch(t.st), err)
	}
	again, err := t.model.Export(exportW, t.st.Spec(spec.Crop, ""))
	if err != nil {
		return fmt.Errorf("--init-from %s: exporting the imported weights: %w", path, err)
	}
	var skip []string
	if !head {
		skip = []string{"fc_w", "fc_b"}
	}
	compare := nn.CompareInitializers
	if spec.Size != t.st.size() {
		// the global depthwise kernel was resampled; Spatial Bias's
		// pooling matrices follow the size
		how := "no weight depends on the input size"
		if t.st.arch() == "lfnsb" {
			how = "the global depthwise kernel is resampled"
		}
		t.logf("--init-from %s takes %dx%d faces, the run %dx%d: its weights carry over (%s)", path, spec.Size, spec.Size, t.st.size(), t.st.size(), how)
		compare = func(a, b *onnx.Model, tol float64, skip ...string) error {
			return nn.CompareResized(a, b, tol, []string{"conv_w", "sb_pool", "sb_up"}, skip...)
		}
	}
	if err := compare(g, again, 1e-4, skip...); err != nil {
		return fmt.Errorf("--init-from %s does not fit --arch %s: %w", path, describeArch(t.st), err)
	}
	if t.opt.InferWeight < 0 {
		// auto: select and export as the imported graph infers; a
		// one-branch graph has only its branch to offer
		t.opt.InferWeight, t.st.Options.InferWeight = exportW, exportW
	}
	t.st.Mean, t.st.Std = spec.Mean[0], spec.Std[0]
	n, err := recentreBN(t.model, t.train, t.st.Mean, t.st.Std, recentreBatches, t.opt.Batch, t.opt.Seed)
	if err != nil {
		return fmt.Errorf("--init-from %s: %w", path, err)
	}
	in := &InitFrom{Path: path, Labels: spec.Labels, Head: head, Recentred: n, Size: spec.Size}
	for i, r := range rows {
		if r < 0 {
			in.New = append(in.New, t.st.Labels[i])
		}
	}
	pub, priv, err := t.evaluateHeldOut()
	if err != nil {
		return err
	}
	in.PublicAcc, in.PrivateAcc = pub.Acc(t.opt.InferWeight), priv.Acc(t.opt.InferWeight)
	t.st.Init = in
	val, test := t.st.Splits()
	how := "its classifier kept"
	if rows != nil {
		var kept []string
		for i, r := range rows {
			if r < 0 {
				continue
			}
			k := spec.Labels[r]
			if !strings.EqualFold(k, t.st.Labels[i]) {
				k += " as " + t.st.Labels[i]
			}
			kept = append(kept, k)
		}
		how = fmt.Sprintf("its classes %v include the data's: their classifier rows kept (%s)", spec.Labels, strings.Join(kept, ", "))
		if len(in.New) > 0 {
			how = fmt.Sprintf("its classes %v include %d of the data's: their classifier rows kept (%s), rows for %s start fresh",
				spec.Labels, len(kept), strings.Join(kept, ", "), strings.Join(in.New, ", "))
		}
	}
	if !head {
		how = fmt.Sprintf("its classes %v differ from the data's %v: the classifier starts fresh", spec.Labels, t.st.Labels)
	}
	t.logf("initialised from %s (%s; %d batch norms re-centred on %d training faces; input mean %.4f std %.4f): %s %.2f%%, %s %.2f%% before training",
		path, how, n, min(recentreBatches*t.opt.Batch, t.train.Len()), t.st.Mean, t.st.Std, val, 100*in.PublicAcc, test, 100*in.PrivateAcc)
	if head {
		// the imported model is the run's first best: training must beat it
		t.st.BestAcc, t.st.BestEpoch = in.PublicAcc, 0
		t.st.Best = &EpochMetrics{Epoch: 0, PublicAcc: in.PublicAcc, PrivateAcc: in.PrivateAcc, PublicLoss: pub.Loss(t.opt.InferWeight)}
		if err := t.saveCheckpoint(filepath.Join(t.opt.Out, "best.pt"), false); err != nil {
			return err
		}
	}
	return nil
}

// classRows returns, for each of the data's classes, the index of the
// model's label that names the same emotion (in any dataset's spelling:
// happy, happiness), or -1 where it has none; nil when it has none of
// them, or when two classes take the same label.
func classRows(model, data []string) []int {
	m := emotion.NewMatcher(model)
	rows := make([]int, len(data))
	used := map[int]bool{}
	for i, c := range data {
		j, _, ok := m.Match(c)
		switch {
		case !ok:
			j = -1
		case used[j]:
			return nil
		default:
			used[j] = true
		}
		rows[i] = j
	}
	if len(used) == 0 {
		return nil
	}
	return rows
}

// selectClasses returns a copy of g, a model of the given labels, whose
// classifiers (the Gemm weights and biases with one row per label) keep
// the given rows, in that order, as do its labels and its outputs' class
// axis: the model restricted to, and reordered for, a subset of its
// classes. A row -1 is a new class, labelled as names (the data's classes)
// has it: its weights and bias are drawn, with seed, as a fresh linear
// layer's are (uniform within 1/sqrt(inputs)).
func selectClasses(g *onnx.Model, labels []string, rows []int, names []string, seed int64) (*onnx.Model, error) {
	n := len(labels)
	out := *g
	graph := *g.Graph
	graph.Initializers = slices.Clone(g.Graph.Initializers)
	out.Graph = &graph
	var kept []string
	for i, r := range rows {
		if r < 0 {
			kept = append(kept, names[i])
		} else {
			kept = append(kept, labels[r])
		}
	}
	out.Metadata = slices.Clone(g.Metadata)
	out.SetMeta(contract.KeyLabels, strings.Join(kept, ","))
	graph.Outputs = slices.Clone(g.Graph.Outputs)
	for i, o := range graph.Outputs {
		if k := len(o.Shape) - 1; k > 0 && o.Shape[k].Value == int64(n) {
			c := *o
			c.Shape = slices.Clone(o.Shape)
			c.Shape[k].Value = int64(len(rows))
			graph.Outputs[i] = &c
		}
	}
	heads := 0
	rng := rand.New(rand.NewSource(seed))
	bound := float32(0) // 1/sqrt(inputs) of the last classifier weight
	for i, t := range graph.Initializers {
		prefix := nn.InitPrefix(t.Name)
		if (prefix != "fc_w" && prefix != "fc_b") || len(t.Dims) == 0 || t.Dims[0] != int64(n) {
			continue
		}
		v, err := t.Floats()
		if err != nil {
			return nil, fmt.Errorf("classifier %s: %w", t.Name, err)
		}
		width := len(v) / n
		if prefix == "fc_w" {
			bound = float32(1 / math.Sqrt(float64(width)))
		}
		sel := make([]float32, 0, len(rows)*width)
		for _, r := range rows {
			if r >= 0 {
				sel = append(sel, v[r*width:(r+1)*width]...)
				continue
			}
			for range width {
				sel = append(sel, bound*(2*rng.Float32()-1))
			}
		}
		dims := slices.Clone(t.Dims)
		dims[0] = int64(len(rows))
		graph.Initializers[i] = onnx.FloatTensor(t.Name, dims, sel)
		if prefix == "fc_w" {
			heads++
		}
	}
	if heads == 0 {
		return nil, fmt.Errorf("no classifier with %d outputs in the graph", n)
	}
	return &out, nil
}

// sameClasses reports whether two class lists are the same, ignoring case.
func sameClasses(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !strings.EqualFold(a[i], b[i]) {
			return false
		}
	}
	return true
}

func describeArch(st State) string {
	if st.arch() == "lfnsb" {
		return "lfnsb --size " + fmt.Sprint(st.size())
	}
	return fmt.Sprintf("%s --variant %s", st.arch(), st.Options.Variant)
}

// recentreBN re-centres every batch norm of m (nn.Norm.Recentre) on the
// statistics its input has in inference over batches of unaugmented
// training images, and returns how many it re-centred. For LFNSB the
// Cosine-Harmony centres become the classes' mean embeddings.
func recentreBN(m Net, d *data.Dataset, mean, std float32, batches, batch int, seed int64) (int, error) {
	sub := sample(d, batches*batch, seed)
	norms := m.Norms()
	lf, isLFNSB := m.(lfnsbNet)
	var cen *classMeans
	if isLFNSB {
		cen = &classMeans{}
	}
	pass := func() error {
		return torch.NoGrad(func() (err error) {
			defer torch.Recover(&err)
			for _, b := range data.EvalBatches(sub, batch, mean, std) {
				s := torch.NewScope()
				x := images(b, s)
				if isLFNSB {
					emb, _ := lf.Forward(x, false)
					cen.add(nn.Values(emb), b.Y, len(d.Classes))
				} else {
					m.BranchLogits(x)
				}
				s.Drop()
			}
			return nil
		})
	}
	if err := nn.Recentre(norms, pass); err != nil {
		return 0, fmt.Errorf("re-centring batch norm: %w", err)
	}
	if isLFNSB {
		if err := lf.SetCentres(cen.means()); err != nil {
			return len(norms), err
		}
	}
	return len(norms), nil
}

// sample returns n images of d (all of them when it has fewer), drawn
// without replacement with seed.
func sample(d *data.Dataset, n int, seed int64) *data.Dataset {
	sub := &data.Dataset{Classes: d.Classes, Size: d.Size}
	perm := rand.New(rand.NewSource(seed)).Perm(d.Len())
	n = min(n, d.Len())
	for _, i := range perm[:n] {
		sub.Images = append(sub.Images, d.Images[i])
		sub.Labels = append(sub.Labels, d.Labels[i])
	}
	return sub
}

// classMeans accumulates the mean embedding of each class.
type classMeans struct {
	sum [][]float64
	n   []float64
}

func (c *classMeans) add(emb []float32, y []int64, classes int) {
	if c.sum == nil {
		c.sum, c.n = make([][]float64, classes), make([]float64, classes)
	}
	dim := len(emb) / len(y)
	for i, k := range y {
		if c.sum[k] == nil {
			c.sum[k] = make([]float64, dim)
		}
		for j := 0; j < dim; j++ {
			c.sum[k][j] += float64(emb[i*dim+j])
		}
		c.n[k]++
	}
}

// means returns the class means; a class without faces gets nil.
func (c *classMeans) means() [][]float32 {
	out := make([][]float32, len(c.sum))
	for k, s := range c.sum {
		if c.n[k] == 0 {
			continue
		}
		out[k] = make([]float32, len(s))
		for j, v := range s {
			out[k][j] = float32(v / c.n[k])
		}
	}
	return out
}

// readSpec reads the model contract of an exported model.
func readSpec(path string) (contract.Spec, error) {
	g, err := onnx.ReadFile(path)
	if err != nil {
		return contract.Spec{}, err
	}
	return contract.Parse(g.MetaMap())
}
