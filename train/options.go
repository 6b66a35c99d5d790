//go:build torch

package train

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/spf13/pflag"
)

// Options are the flags of `ferlive train`.
type Options struct {
	Arch          string   `json:"arch"`
	Variant       string   `json:"variant"`
	Data          string   `json:"data"`
	Out           string   `json:"out"`
	Epochs        int      `json:"epochs"`
	Batch         int      `json:"batch"`
	LR            float64  `json:"lr"`
	MinLR         float64  `json:"min_lr"`
	Warmup        float64  `json:"warmup_epochs"`
	Schedule      string   `json:"schedule"`
	StepEvery     int      `json:"step_every"`
	Optimizer     string   `json:"optimizer"`
	Momentum      float64  `json:"momentum"`
	WeightDecay   float64  `json:"weight_decay"`
	Smoothing     float64  `json:"label_smoothing"`
	Threads       int      `json:"threads"`
	Workers       int      `json:"workers"`
	Seed          int64    `json:"seed"`
	Resume        bool     `json:"-"`
	Mask          string   `json:"mask"`
	Shift         float64  `json:"shift"`
	Scale         float64  `json:"scale"`
	Rotate        float64  `json:"rotate"`
	NoFlip        bool     `json:"no_flip"`
	Shear         float64  `json:"shear,omitempty"`      // max shear, degrees (pose)
	BoxJitter     float64  `json:"box_jitter,omitempty"` // detector-box jitter: side, aspect and centre
	AugLight      float64  `json:"aug_light,omitempty"`  // probability of a light change (brightness, gamma, contrast, low-light noise)
	AugSmall      float64  `json:"aug_small,omitempty"`  // probability of a small-face degradation (blur, downscale-then-enlarge, JPEG)
	Act           string   `json:"act"`
	Clip          string   `json:"clip"`
	SA            string   `json:"sa"`
	Dual          string   `json:"dual"`
	InferWeight   float64  `json:"infer_weight"`
	Limit         int      `json:"limit"`
	MaxSteps      int      `json:"max_steps"`
	KeepEpochs    int      `json:"keep_epochs,omitempty"` // keep the weights of this many last epochs as epoch-N.pt
	Quiet         bool     `json:"-"`
	Budget        Duration `json:"budget"`
	RestoreFrom   string   `json:"restore_from,omitempty"`
	InitFrom      string   `json:"init_from,omitempty"`
	BBNAlpha      string   `json:"bbn_alpha,omitempty"` // BBN's a: schedule or a fixed number (auto is resolved before the run starts; empty in older runs: schedule)
	RestoreMin    float64  `json:"restore_min_corr,omitempty"`
	Dataset       string   `json:"dataset,omitempty"`        // fer2013 or ferplus (auto is resolved before the run starts; empty in older runs: fer2013)
	LabelMode     string   `json:"labels,omitempty"`         // FER+ targets: majority or soft (empty: majority)
	Size          int      `json:"size,omitempty"`           // input side (0: the architecture's default)
	CHWeight      float64  `json:"ch_weight,omitempty"`      // LFNSB: weight of the Cosine-Harmony loss
	CHAlpha       float64  `json:"ch_alpha,omitempty"`       // LFNSB: Cosine-Harmony's alpha
	Teacher       string   `json:"teacher,omitempty"`        // exported models whose predictions are mixed into the training targets (comma-separated)
	TeacherWeight float64  `json:"teacher_weight,omitempty"` // weight of the teachers' predictions in the targets
	Pretrained    string   `json:"pretrained,omitempty"`     // faceres: the TensorFlow.js FaceRes model the backbone starts from
	Freeze        int      `json:"freeze,omitempty"`         // faceres: leading layers kept frozen
	ORTLib        string   `json:"-"`                        // ONNX Runtime library for the teachers (--ort-lib)
	ortFallback   string   // the library the binary's build found (Installation.ORTLib)
}

// Flags registers the options on fs with their defaults.
func (o *Options) Flags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Arch, "arch", "rlrcnet", "model architecture: rlrcnet, lfnsb, or faceres (MobileNet v1 starting from the face-recognition weights of HSE FaceRes, see --pretrained)")
	fs.StringVar(&o.Pretrained, "pretrained", "", "faceres: HSE FaceRes as a TensorFlow.js graph model (faceres-deep.json with its .bin, which make models fetches; default: $FERLIVE_MODELS/faceres/faceres-deep.json or .deps/models/faceres-deep.json); not needed with --init-from")
	fs.IntVar(&o.Freeze, "freeze", 0, "faceres: keep the first N of its 27 convolutions frozen (inference statistics, no gradients): cheaper steps, and the face-recognition features of the early layers kept")
	fs.StringVar(&o.Variant, "variant", "full", "ablation row of the paper's Table 3: shufflenet, rm, clipk5, sa, full")
	fs.StringVar(&o.Data, "data", "", "dataset: image-folder directory or .tar.gz (<root>/{train,[val,]test}/<class>/*: FER2013, RAF-DB, CK+, AffectNet exports, your own faces), or a folder holding fer2013.tar.gz; or FER+ (ferplus.tar.gz or its folder)")
	fs.StringVar(&o.Dataset, "dataset", "auto", "fer2013 (train on Training, select on PublicTest, report PrivateTest; 7 classes), ferplus (train on FER2013Train, select on FER2013Valid, report FER2013Test; 8 classes with contempt), folders (your own faces: <root>/train/<class>/*, <root>/test/<class>/*, optionally <root>/val/<class>/*, else every 10th training image per class is held out for selection; the classes are the folder names), or auto (ferplus for the FER+ layout, fer2013 for Training_/PublicTest_/PrivateTest_ files, else folders)")
	fs.StringVar(&o.LabelMode, "labels", "majority", "FER+ training targets: majority (the vote winner; ties and unknown/not-a-face majorities dropped) or soft (the same faces, each with its vote distribution as the target); selection and test always use majority labels")
	fs.IntVar(&o.Size, "size", 0, "input side in pixels (0: the architecture's default: rlrcnet 48, lfnsb "+fmt.Sprint(DefaultLFNSBSize)+"); both take 48 to 224 (LFNSB's paper uses 112); FER2013's 48x48 faces are enlarged bilinearly, as the runtime does; with --init-from a model of another size, its weights carry over (LFNSB's global depthwise kernel is resampled)")
	fs.Float64Var(&o.CHWeight, "ch-weight", 0.1, "lfnsb: weight of the Cosine-Harmony loss added to the cross-entropy (0: cross-entropy only)")
	fs.Float64Var(&o.CHAlpha, "ch-alpha", 0.1, "lfnsb: Cosine-Harmony's alpha, the weight of intra/variance against inter")
	fs.StringVar(&o.Out, "out", "runs/rlrcnet", "run directory (checkpoints, metrics, plots, log)")
	fs.IntVar(&o.Epochs, "epochs", 30, "training epochs (one epoch = the training set once through the uniform branch)")
	fs.IntVar(&o.Batch, "batch", 64, "images per branch and step (the dual model sees 2x this per step)")
	fs.Float64Var(&o.LR, "lr", 0.1, "peak learning rate")
	fs.Float64Var(&o.MinLR, "min-lr", 0, "final learning rate of the cosine schedule")
	fs.Float64Var(&o.Warmup, "warmup", 1, "linear warm-up, in epochs")
	fs.StringVar(&o.Schedule, "schedule", "cosine", "learning-rate schedule: cosine, or step (x0.5 every --step-every epochs, the paper's)")
	fs.IntVar(&o.StepEvery, "step-every", 50, "epochs between halvings with --schedule step")
	fs.StringVar(&o.Optimizer, "optimizer", "sgd", "sgd (Nesterov momentum) or adamw")
	fs.Float64Var(&o.Momentum, "momentum", 0.9, "SGD momentum")
	fs.Float64Var(&o.WeightDecay, "wd", 5e-4, "weight decay on conv and linear weights")
	fs.Float64Var(&o.Smoothing, "label-smoothing", 0.1, "label smoothing of the cross-entropy")
	fs.IntVar(&o.Threads, "threads", 2, "libtorch intra-op threads")
	fs.IntVar(&o.Workers, "workers", 2, "data-augmentation goroutines")
	fs.Int64Var(&o.Seed, "seed", 1, "seed of weights, sampling and augmentation")
	fs.StringVar(&o.BBNAlpha, "bbn-alpha", "auto", "BBN's weight a of the conventional branch in training (dual models): schedule (BBN's cumulative learning, a = 1-(T/Ts)^2 from 1 to 0), a fixed number in [0, 1], or auto (schedule; 0.5 with --init-from, as restarting the schedule would bury the re-balancing branch under AdamW's first, gradient-less steps)")
	fs.BoolVar(&o.Resume, "resume", false, "continue the run in --out from its last checkpoint, on the data it was trained on unless --data says where that data now is")
	fs.StringVar(&o.Mask, "mask", "auto", "improved random masking: on, off, or auto (per --variant)")
	fs.Float64Var(&o.Shift, "shift", 0.08, "max random shift, fraction of the side")
	fs.Float64Var(&o.Scale, "zoom", 0.1, "max random zoom in/out")
	fs.Float64Var(&o.Rotate, "rotate", 10, "max random rotation, degrees")
	fs.BoolVar(&o.NoFlip, "no-flip", false, "disable horizontal flips")
	fs.Float64Var(&o.Shear, "shear", 0, "max random shear in degrees, along x and y independently (pose: a face turned a little away); 0: none")
	fs.Float64Var(&o.BoxJitter, "box-jitter", 0, "vary the crop as a face detector's box varies: its side by up to a factor exp(+-J), its aspect by exp(+-J/2), its centre by up to J/2 of the side (e.g. 0.15); 0: none")
	fs.Float64Var(&o.AugLight, "aug-light", 0, "probability of a random light change per training face: brightness (gain 0.3-1.4), gamma (0.7-1.8), contrast (x0.25-1.2), then half of the time low-light sensor noise; 0: never")
	fs.Float64Var(&o.AugSmall, "aug-small", 0, "probability of a random small-face degradation per training face: one or more of Gaussian blur, a downscale to a face of 10-32 pixels enlarged back, and JPEG at quality 5-50; 0: never")
	fs.StringVar(&o.Act, "act", "auto", "activation override: relu, betamish or auto (per --variant)")
	fs.StringVar(&o.Clip, "clip", "auto", "Clip_K5 units override: on, off, auto")
	fs.StringVar(&o.SA, "sa", "auto", "shuffle attention override: on, off, auto")
	fs.StringVar(&o.Dual, "dual", "auto", "BBN dual branch override: on, off, auto")
	fs.Float64Var(&o.InferWeight, "infer-weight", -1, "weight of the conventional branch at inference, for checkpoint selection and export: a number in [0, 1], or -1 for BBN's 0.5, or with --init-from a one-branch model (exported with --infer-weight 0 or 1, as the shipped RLR-CNet) that model's weight")
	fs.IntVar(&o.Limit, "limit", 0, "use only this many training/validation/test images (smoke runs)")
	fs.IntVar(&o.MaxSteps, "max-steps", 0, "stop each epoch after this many steps (smoke runs, speed checks)")
	fs.IntVar(&o.KeepEpochs, "keep-epochs", 0, "keep the weights of the last `N` epochs as epoch-E.pt in --out, for ferlive export --average (stochastic weight averaging); 0: only last.pt and best.pt")
	fs.StringVar(&o.Teacher, "teacher", "", "knowledge distillation: exported ferlive models (.onnx files or the shipped names rlrcnet and lfnsb, comma-separated) that classify every training face and its mirror image once before training (kept in --out as teacher-targets.bin for --resume); each face's target becomes (1-w) x its label (or FER+ votes) + w x the teachers' mean probabilities, w = --teacher-weight. The teachers must know every class of the data by name (in any dataset's spelling: happy or happiness)")
	fs.Float64Var(&o.TeacherWeight, "teacher-weight", 0.5, "with --teacher, the weight w of the teachers' predictions in the training targets, in [0, 1]")
	fs.BoolVar(&o.Quiet, "quiet", false, "no progress bar")
	fs.StringVar(&o.ORTLib, "ort-lib", "", "ONNX Runtime shared library, for --teacher (default: $FERLIVE_ORT_LIB, the one make deps installs, or the one the build found)")
	fs.StringVar(&o.RestoreFrom, "restore-from", "", "FER+ archive or folder: replace the (degraded) FER2013 training faces by their intact FER+ copies, matched by low-frequency signature; labels stay FER2013's")
	fs.StringVar(&o.InitFrom, "init-from", "", "start from the weights of an exported ferlive model (an .onnx of the same --arch and --variant, or the shipped rlrcnet or lfnsb by name) instead of random ones: fine-tune it on --data, or continue its training; the data's classes that are among its labels (in any spelling: happiness for happy) keep their classifier rows, the others get fresh rows (all fresh when none is). The run takes the model's input normalisation, and its accuracy before training is epoch 0, the first best")
	fs.Float64Var(&o.RestoreMin, "restore-min-corr", 0.9, "with --restore-from, drop training faces whose best match correlates below this")
	fs.DurationVar((*time.Duration)(&o.Budget), "budget", 0, "training-time budget (e.g. 100m): the cosine schedule and BBN's a = 1-(T/Ts)^2 follow the fraction of it spent, and training stops when it is spent (or after --epochs); for shared or slow machines; with --resume it replaces the run's budget")
}

// DefaultOptions returns the flag defaults.
func DefaultOptions() Options {
	var o Options
	fs := pflag.NewFlagSet("train", pflag.ContinueOnError)
	o.Flags(fs)
	return o
}

// Validate checks the options.
func (o *Options) Validate() error {
	switch o.Arch {
	case "rlrcnet":
		if o.Size != 0 && (o.Size < 48 || o.Size > 224) {
			return fmt.Errorf("--size %d: rlrcnet takes 48 to 224 (its 16x down-sampling must leave a 3x3 map)", o.Size)
		}
	case "lfnsb":
		if o.Size != 0 && (o.Size < 48 || o.Size > 224) {
			return fmt.Errorf("--size %d: lfnsb takes 48 to 224 (its 16x down-sampling must leave a 3x3 map)", o.Size)
		}
		if o.CHWeight < 0 || o.CHAlpha < 0 || o.CHAlpha > 1 {
			return fmt.Errorf("--ch-weight %g, --ch-alpha %g: want a weight >= 0 and alpha in [0, 1]", o.CHWeight, o.CHAlpha)
		}
	case "faceres":
		if o.Size != 0 && (o.Size < 64 || o.Size > 224) {
			return fmt.Errorf("--size %d: faceres takes 64 to 224", o.Size)
		}
		if o.Freeze < 0 || o.Freeze > 27 {
			return fmt.Errorf("--freeze %d: want 0 to 27 layers", o.Freeze)
		}
	default:
		return fmt.Errorf("--arch %q: want rlrcnet, lfnsb or faceres", o.Arch)
	}
	switch o.Dataset {
	case "auto", "fer2013", "ferplus", "folders", "":
	default:
		return fmt.Errorf("--dataset %q: want fer2013, ferplus, folders or auto", o.Dataset)
	}
	switch o.LabelMode {
	case "majority", "soft", "":
	default:
		return fmt.Errorf("--labels %q: want majority or soft", o.LabelMode)
	}
	if o.Data == "" && !o.Resume { // a resumed run knows its data
		return fmt.Errorf("--data is required")
	}
	if o.Teacher != "" && (o.TeacherWeight < 0 || o.TeacherWeight > 1) {
		return fmt.Errorf("--teacher-weight %g: want a number in [0, 1]", o.TeacherWeight)
	}
	for _, p := range o.Teachers() {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("--teacher: %w", err)
		}
	}
	if o.Shear < 0 || o.Shear >= 45 || o.BoxJitter < 0 || o.BoxJitter > 0.5 {
		return fmt.Errorf("--shear %g, --box-jitter %g: want a shear of 0 to 45 degrees (exclusive) and a jitter of 0 to 0.5", o.Shear, o.BoxJitter)
	}
	if o.AugLight < 0 || o.AugLight > 1 || o.AugSmall < 0 || o.AugSmall > 1 {
		return fmt.Errorf("--aug-light %g, --aug-small %g: want probabilities in [0, 1]", o.AugLight, o.AugSmall)
	}
	if o.KeepEpochs < 0 {
		return fmt.Errorf("--keep-epochs %d: want 0 or more", o.KeepEpochs)
	}
	if o.Epochs < 1 || o.Batch < 2 {
		return fmt.Errorf("--epochs %d, --batch %d: want at least 1 and 2", o.Epochs, o.Batch)
	}
	if o.Threads < 1 {
		o.Threads = runtime.NumCPU()
	}
	for _, f := range []struct{ n, v string }{{"mask", o.Mask}, {"clip", o.Clip}, {"sa", o.SA}, {"dual", o.Dual}} {
		switch f.v {
		case "auto", "on", "off":
		default:
			return fmt.Errorf("--%s %q: want on, off or auto", f.n, f.v)
		}
	}
	if o.InferWeight > 1 || (o.InferWeight < 0 && o.InferWeight != -1) {
		return fmt.Errorf("--infer-weight %g: want a number in [0, 1], or -1 (auto)", o.InferWeight)
	}
	switch o.BBNAlpha {
	case "auto", "schedule", "":
	default:
		if a, err := strconv.ParseFloat(o.BBNAlpha, 64); err != nil || a < 0 || a > 1 {
			return fmt.Errorf("--bbn-alpha %q: want schedule, auto or a number in [0, 1]", o.BBNAlpha)
		}
	}
	switch o.Schedule {
	case "cosine", "step":
	default:
		return fmt.Errorf("--schedule %q: want cosine or step", o.Schedule)
	}
	switch o.Optimizer {
	case "sgd", "adamw":
	default:
		return fmt.Errorf("--optimizer %q: want sgd or adamw", o.Optimizer)
	}
	return nil
}

func override(v string, def bool) bool {
	switch v {
	case "on":
		return true
	case "off":
		return false
	}
	return def
}

// Duration is a time.Duration that reads and writes JSON as "1h40m".
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	*d = Duration(v)
	return err
}
