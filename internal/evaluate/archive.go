package evaluate

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/ferlive/ferlive/internal/emotion"
)

// IsArchive reports whether name is a tar archive eval can read (.tar,
// .tar.gz, .tgz).
func IsArchive(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".tar") || strings.HasSuffix(n, ".tar.gz") || strings.HasSuffix(n, ".tgz")
}

// Unpack extracts the members of the tar archive src that a split needs
// into the folder dst: with split empty every regular file; otherwise the
// files whose base name starts with split (FER2013's PrivateTest_*) and the
// files inside a folder named split (FER+'s FER2013Test/, with its
// label.csv). It returns how many files it wrote. Members that would land
// outside dst are refused; a cancelled ctx stops it.
func Unpack(ctx context.Context, src, split, dst string) (int, error) {
	f, err := os.Open(src)
	if err != nil {
		return 0, fmt.Errorf("dataset archive %s: %w", src, err)
	}
	defer f.Close()
	var r io.Reader = f
	if n := strings.ToLower(src); strings.HasSuffix(n, ".gz") || strings.HasSuffix(n, ".tgz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return 0, fmt.Errorf("dataset archive %s: want a gzip-compressed tar: %w", src, err)
		}
		defer gz.Close()
		r = gz
	}
	tr := tar.NewReader(r)
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, fmt.Errorf("dataset archive %s: %w", src, err)
		}
		if h.Typeflag != tar.TypeReg || !wanted(h.Name, split) {
			continue
		}
		clean := path.Clean(strings.TrimPrefix(h.Name, "./"))
		if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
			return n, fmt.Errorf("dataset archive %s: member %q points outside the archive", src, h.Name)
		}
		if err := writeMember(filepath.Join(dst, filepath.FromSlash(clean)), tr); err != nil {
			return n, fmt.Errorf("dataset archive %s: %s: %w", src, h.Name, err)
		}
		n++
	}
	if n == 0 {
		if split != "" {
			return 0, fmt.Errorf("dataset archive %s: no file whose name starts with %q and no folder named %q", src, split, split)
		}
		return 0, fmt.Errorf("dataset archive %s: no files", src)
	}
	return n, nil
}

// wanted reports whether the member name belongs to split.
func wanted(name, split string) bool {
	if split == "" || strings.HasPrefix(path.Base(name), split) {
		return true
	}
	dir := path.Dir(name)
	for _, c := range strings.Split(dir, "/") {
		if c == split {
			return true
		}
	}
	return false
}

func writeMember(p string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	w, err := os.Create(p)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// ClassRoot returns the folder at most three levels below root (root
// included) that holds class folders named like labels (ignoring case, or
// in another dataset's spelling of the same emotion, as List matches them),
// e.g. fer2013/test inside an unpacked fer2013.tar.gz. ok is false when
// there is none.
func ClassRoot(root string, labels []string) (dir string, ok bool) {
	match := emotion.NewMatcher(labels)
	level := []string{root}
	for depth := 0; depth <= 3 && len(level) > 0; depth++ {
		var next []string
		for _, d := range level {
			ents, err := os.ReadDir(d)
			if err != nil {
				continue
			}
			for _, e := range ents {
				if !e.IsDir() {
					continue
				}
				if _, _, ok := match.Match(e.Name()); ok {
					return d, true
				}
				next = append(next, filepath.Join(d, e.Name()))
			}
		}
		level = next
	}
	return "", false
}
