package evaluate

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/internal/degrade"
	"github.com/ferlive/ferlive/internal/metrics"
)

// Severity is the accuracy under one corruption at one severity.
type Severity struct {
	Severity int     `json:"severity"`
	Params   string  `json:"params"`
	Accuracy float64 `json:"accuracy"`
}

// CorruptionResult is the accuracy under one corruption at every severity.
type CorruptionResult struct {
	Name       string     `json:"name"`
	Doc        string     `json:"doc"`
	Severities []Severity `json:"severities"`
	Mean       float64    `json:"mean_accuracy"` // over the severities
}

// Robustness is the result of the robustness benchmark: the clean
// evaluation and the accuracy under each corruption at each severity.
type Robustness struct {
	Clean         Report             `json:"clean"`
	Seed          int64              `json:"seed"`
	Corruptions   []CorruptionResult `json:"corruptions"`
	MeanCorrupted float64            `json:"mean_corrupted_accuracy"` // over every corruption and severity
	Drop          float64            `json:"drop"`                    // clean accuracy minus MeanCorrupted
	Worst         string             `json:"worst"`                   // corruption with the lowest mean
}

// RobustOptions configures RunRobustness.
type RobustOptions struct {
	Corruptions []degrade.Corruption // degrade.All when empty
	Seed        int64                // of the random parts (noise, tilt direction), per image
	Batch       int                  // images per classifier call
	// Progress, when set, is told how many image evaluations of Total are done.
	Progress func(done, total int)
	// Done, when set, is given each corruption's result as soon as its
	// three severities are scored (a long run shows what it has so far).
	Done func(CorruptionResult)
}

// Total returns the number of image evaluations RunRobustness makes for n
// samples: the clean pass and one per corruption and severity.
func (o RobustOptions) Total(n int) int {
	k := len(o.Corruptions)
	if k == 0 {
		k = len(degrade.All)
	}
	return n * (1 + k*degrade.Severities)
}

// RunRobustness evaluates c on the samples as they are, then on copies
// spoilt by each corruption at each severity (see internal/degrade). Each
// image's corruption depends only on the seed, the corruption, the
// severity and the image's position in samples, so a run is reproducible.
// It returns the robustness report (Clean holds the clean confusion's
// summary, with model, data and split left to the caller) and the clean
// confusion matrix.
func RunRobustness(ctx context.Context, c Classifier, samples []Sample, o RobustOptions) (*Robustness, *metrics.Confusion, error) {
	cors := o.Corruptions
	if len(cors) == 0 {
		cors = degrade.All
	}
	total := o.Total(len(samples))
	done := 0
	pass := func(tf Transform) (*metrics.Confusion, error) {
		base := done
		conf, err := run(ctx, c, samples, o.Batch, tf, func(n int) {
			if o.Progress != nil {
				o.Progress(base+n, total)
			}
		})
		done += len(samples)
		return conf, err
	}
	clean, err := pass(nil)
	if err != nil {
		return nil, nil, err
	}
	r := &Robustness{Clean: NewReport("", "", "", clean, nil), Seed: o.Seed}
	var sum float64
	var n int
	for _, cor := range cors {
		res := CorruptionResult{Name: cor.Name, Doc: cor.Doc}
		for sev := 1; sev <= degrade.Severities; sev++ {
			conf, err := pass(corrupter(cor, sev, o.Seed))
			if err != nil {
				return nil, nil, fmt.Errorf("corruption %s severity %d: %w", cor.Name, sev, err)
			}
			acc := conf.Accuracy()
			res.Severities = append(res.Severities, Severity{Severity: sev, Params: cor.Params(sev), Accuracy: acc})
			res.Mean += acc / degrade.Severities
			sum += acc
			n++
		}
		r.Corruptions = append(r.Corruptions, res)
		if o.Done != nil {
			o.Done(res)
		}
		if r.Worst == "" || res.Mean < r.mean(r.Worst) {
			r.Worst = res.Name
		}
	}
	r.MeanCorrupted = sum / float64(n)
	r.Drop = r.Clean.Accuracy - r.MeanCorrupted
	return r, clean, nil
}

func (r *Robustness) mean(name string) float64 {
	for _, c := range r.Corruptions {
		if c.Name == name {
			return c.Mean
		}
	}
	return 0
}

// corrupter returns the Transform that applies cor at severity sev to a
// decoded BGR image. A grey image (all three channels equal, as FER2013 and
// FER+ faces are) is corrupted as grey, so JPEG codes it as a grey camera
// would; a colour one as RGB.
func corrupter(cor degrade.Corruption, sev int, seed int64) Transform {
	return func(i int, m gocv.Mat) (gocv.Mat, error) {
		img, err := fromMat(m)
		if err != nil {
			return gocv.Mat{}, err
		}
		if err := cor.Apply(img, sev, degrade.Seed(seed, cor.Name, sev, i)); err != nil {
			return gocv.Mat{}, err
		}
		return toMat(img)
	}
}

// fromMat copies an 8-bit BGR or grey Mat into a degrade.Image: grey when
// the Mat is grey or its three channels are equal, else RGB.
func fromMat(m gocv.Mat) (*degrade.Image, error) {
	if m.Type()&7 != 0 || (m.Channels() != 1 && m.Channels() != 3) {
		return nil, fmt.Errorf("corrupting: image type %v with %d channels, want 8-bit grey or BGR", m.Type(), m.Channels())
	}
	px := m.ToBytes()
	w, h := m.Cols(), m.Rows()
	if m.Channels() == 1 {
		return &degrade.Image{W: w, H: h, C: 1, Pix: px}, nil
	}
	grey := true
	for i := 0; i+2 < len(px) && grey; i += 3 {
		grey = px[i] == px[i+1] && px[i] == px[i+2]
	}
	if grey {
		g := make([]uint8, w*h)
		for i := range g {
			g[i] = px[3*i]
		}
		return &degrade.Image{W: w, H: h, C: 1, Pix: g}, nil
	}
	for i := 0; i+2 < len(px); i += 3 {
		px[i], px[i+2] = px[i+2], px[i] // BGR -> RGB
	}
	return &degrade.Image{W: w, H: h, C: 3, Pix: px}, nil
}

// toMat turns a degrade.Image back into a Mat the runtime reads: grey, or
// BGR.
func toMat(img *degrade.Image) (gocv.Mat, error) {
	if img.C == 1 {
		return gocv.NewMatFromBytes(img.H, img.W, gocv.MatTypeCV8UC1, img.Pix)
	}
	px := make([]uint8, len(img.Pix))
	for i := 0; i+2 < len(px); i += 3 {
		px[i], px[i+1], px[i+2] = img.Pix[i+2], img.Pix[i+1], img.Pix[i]
	}
	return gocv.NewMatFromBytes(img.H, img.W, gocv.MatTypeCV8UC3, px)
}

// WriteJSON writes the report as one JSON object.
func (r *Robustness) WriteJSON(w io.Writer) error { return json.NewEncoder(w).Encode(r) }

func pct(v float64) string { return fmt.Sprintf("%.2f%%", 100*v) }

// Markdown returns the report as Markdown tables, for a model card or a
// terminal: accuracy per corruption and severity with each corruption's
// mean, the clean accuracy, the mean corrupted accuracy and the drop; then
// what each severity means.
func (r *Robustness) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "| corruption | severity 1 | severity 2 | severity 3 | mean |\n|---|---:|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| clean | %s | | | |\n", pct(r.Clean.Accuracy))
	for _, c := range r.Corruptions {
		fmt.Fprintf(&b, "| %s |", c.Name)
		for _, s := range c.Severities {
			fmt.Fprintf(&b, " %s |", pct(s.Accuracy))
		}
		fmt.Fprintf(&b, " %s |\n", pct(c.Mean))
	}
	fmt.Fprintf(&b, "| **mean corrupted** | | | | **%s** |\n", pct(r.MeanCorrupted))
	fmt.Fprintf(&b, "\nMean corrupted accuracy %s, %.2f points below clean (%s); worst: %s. %d images, corruption seed %d.\n",
		pct(r.MeanCorrupted), 100*r.Drop, pct(r.Clean.Accuracy), r.Worst, r.Clean.N, r.Seed)
	fmt.Fprintf(&b, "\n| corruption | what it imitates | severity 1 | severity 2 | severity 3 |\n|---|---|---|---|---|\n")
	for _, c := range r.Corruptions {
		fmt.Fprintf(&b, "| %s | %s |", c.Name, c.Doc)
		for _, s := range c.Severities {
			fmt.Fprintf(&b, " %s |", s.Params)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// CardSection returns the "## Robustness" section of a model card: what was
// measured, the tables of Markdown, and the command that measured it.
func (r *Robustness) CardSection(command string) string {
	split := r.Clean.Split
	if split == "" {
		split = r.Clean.Data
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## Robustness\n\nAccuracy on the same %d %s faces under corruptions of faces in the wild, each at three severities (`ferlive eval --corrupt`, ONNX Runtime, runtime preprocessing; the corruptions are described in the README and defined in `internal/degrade`).\n\n", r.Clean.N, split)
	b.WriteString(r.Markdown())
	fmt.Fprintf(&b, "\n```\n%s\n```\n\n", command)
	return b.String()
}

// UpdateCard writes section (a "## Robustness" section) into the model card
// at path: in place of an existing section of that title, else before the
// "## Model" section, else at the end.
func UpdateCard(path, section string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("model card: %w", err)
	}
	s := string(b)
	const head = "## Robustness\n"
	if i := strings.Index(s, head); i >= 0 && (i == 0 || s[i-1] == '\n') {
		end := len(s)
		if j := strings.Index(s[i+len(head):], "\n## "); j >= 0 {
			end = i + len(head) + j + 1
		}
		s = s[:i] + section + s[end:]
	} else if i := strings.Index(s, "\n## Model\n"); i >= 0 {
		s = s[:i+1] + section + s[i+1:]
	} else {
		if !strings.HasSuffix(s, "\n") {
			s += "\n"
		}
		s += "\n" + section
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		return fmt.Errorf("model card: %w", err)
	}
	return nil
}
