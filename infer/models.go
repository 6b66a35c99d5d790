package infer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Shipped maps the short names accepted by --model to the model files
// shipped in assets/models. The first entry is the default.
var Shipped = []struct{ Name, File string }{
	{"faceres", "faceres-ferplus.onnx"},
	{"rlrcnet", "rlrcnet-fer2013.onnx"},
	{"lfnsb", "lfnsb-ferplus.onnx"},
	{"rlrcnet-int8", "rlrcnet-fer2013-int8.onnx"},
	{"lfnsb-int8", "lfnsb-ferplus-int8.onnx"},
	{"faceres-int8", "faceres-ferplus-int8.onnx"},
}

// ModelDirs lists where shipped models are looked for: $FERLIVE_MODEL_DIR,
// assets/models beside the executable (bin/../assets/models), the install
// prefix's share/ferlive/models, the working directory's assets/models, the
// build-time folder, and /usr/share/ferlive/models.
func ModelDirs(buildDir string) []string {
	var dirs []string
	if d := os.Getenv("FERLIVE_MODEL_DIR"); d != "" {
		dirs = append(dirs, d)
	}
	if exe, err := os.Executable(); err == nil {
		d := filepath.Dir(exe)
		dirs = append(dirs, filepath.Join(d, "..", "assets", "models"), filepath.Join(d, "assets", "models"),
			filepath.Join(d, "..", "share", "ferlive", "models"))
	}
	dirs = append(dirs, filepath.Join("assets", "models"))
	if buildDir != "" {
		dirs = append(dirs, buildDir)
	}
	dirs = append(dirs, "/usr/share/ferlive/models")
	seen := map[string]bool{}
	out := dirs[:0]
	for _, d := range dirs {
		if abs, err := filepath.Abs(d); err == nil && !seen[abs] {
			seen[abs] = true
			out = append(out, d)
		}
	}
	return out
}

// FindModel resolves --model: "" means the default shipped model, a short
// name (see Shipped) a shipped model, anything else a file path.
func FindModel(nameOrPath string, dirs []string) (string, error) {
	file := ""
	switch {
	case nameOrPath == "":
		file = Shipped[0].File
	default:
		for _, s := range Shipped {
			if strings.EqualFold(nameOrPath, s.Name) {
				file = s.File
			}
		}
	}
	if file == "" {
		if _, err := os.Stat(nameOrPath); err != nil {
			return "", fmt.Errorf("model %s: %w (want a file, or one of the shipped names %s)", nameOrPath, err, shippedNames())
		}
		return nameOrPath, nil
	}
	for _, d := range dirs {
		p := filepath.Join(d, file)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("shipped model %s not found in %s; pass --model PATH or set $FERLIVE_MODEL_DIR",
		file, strings.Join(dirs, ", "))
}

func shippedNames() string {
	var n []string
	for _, s := range Shipped {
		n = append(n, s.Name)
	}
	return strings.Join(n, ", ")
}
