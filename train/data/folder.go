package data

import (
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
)

// LoadFolderImages reads every image directly inside the folder named dir
// (e.g. "FER2013Train") of a directory tree or .tar.gz, as gray size x size,
// sorted by file name (the FER+ layout).
func LoadFolderImages(src, dir string, size int) (names []string, imgs [][]uint8, err error) {
	type raw struct {
		name string
		data []byte
	}
	var raws []raw
	keep := func(rel string) bool {
		rel = strings.ReplaceAll(rel, "\\", "/")
		return path.Base(path.Dir(rel)) == dir && isImage(rel)
	}
	st, err := os.Stat(src)
	if err != nil {
		return nil, nil, err
	}
	if st.IsDir() {
		ents, err := os.ReadDir(findFolder(src, dir))
		if err != nil {
			return nil, nil, err
		}
		for _, e := range ents {
			if isImage(e.Name()) {
				b, err := os.ReadFile(path.Join(findFolder(src, dir), e.Name()))
				if err != nil {
					return nil, nil, err
				}
				raws = append(raws, raw{e.Name(), b})
			}
		}
	} else {
		err := readTarGz(src, func(rel string, read func() ([]byte, error)) error {
			if !keep(rel) {
				return nil
			}
			b, err := read()
			if err != nil {
				return err
			}
			raws = append(raws, raw{path.Base(rel), b})
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", src, err)
		}
	}
	if len(raws) == 0 {
		return nil, nil, fmt.Errorf("%s: no images in a folder named %s", src, dir)
	}
	sort.Slice(raws, func(i, j int) bool { return raws[i].name < raws[j].name })
	names = make([]string, len(raws))
	for i, r := range raws {
		names[i] = r.name
	}
	imgs, errs := decodeAll(len(raws), func(i int) []byte { return raws[i].data }, size)
	if err := undecodable(src, names, errs); err != nil {
		return nil, nil, err
	}
	return names, imgs, nil
}

func findFolder(root, dir string) string {
	var found string
	_ = walkDirs(root, func(p string) bool {
		if path.Base(p) == dir {
			found = p
			return true
		}
		return false
	})
	if found == "" {
		return path.Join(root, dir)
	}
	return found
}

func walkDirs(root string, fn func(string) bool) error {
	ents, err := os.ReadDir(root)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		p := path.Join(root, e.Name())
		if fn(p) {
			return nil
		}
		if err := walkDirs(p, fn); err != nil {
			return err
		}
	}
	return nil
}
