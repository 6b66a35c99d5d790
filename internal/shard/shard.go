// Package shard splits a folder of videos into N deterministic shards, so
// that N machines (a Kubernetes Indexed Job, any batch scheduler) can each
// annotate one shard with no coordinator: shard K of N is the files whose
// relative path hashes to K modulo N. A file's shard depends only on its
// own path and N, so adding files to the archive does not move the others.
package shard

import (
	"fmt"
	"hash/fnv"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Spec is shard K of N (0 <= K < N).
type Spec struct{ K, N int }

// String is "K/N".
func (s Spec) String() string { return fmt.Sprintf("%d/%d", s.K, s.N) }

// Parse reads "K/N" (K from 0, as JOB_COMPLETION_INDEX counts).
func Parse(v string) (Spec, error) {
	a, b, ok := strings.Cut(v, "/")
	k, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || k < 0 || k >= n {
		return Spec{}, fmt.Errorf("--shard %q: want K/N with 0 <= K < N, e.g. 0/4 (K counts from 0 like JOB_COMPLETION_INDEX)", v)
	}
	return Spec{K: k, N: n}, nil
}

// Of returns the shard (0..n-1) a relative path belongs to.
func Of(rel string, n int) int {
	h := fnv.New64a()
	h.Write([]byte(filepath.ToSlash(rel)))
	return int(h.Sum64() % uint64(n))
}

// Select returns the paths of rels in shard s, sorted.
func Select(rels []string, s Spec) []string {
	var out []string
	for _, r := range rels {
		if Of(r, s.N) == s.K {
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out
}

// VideoExts are the file extensions taken as videos.
var VideoExts = map[string]bool{".mp4": true, ".m4v": true, ".mov": true, ".avi": true, ".mkv": true, ".webm": true, ".mpg": true, ".mpeg": true, ".ts": true}

// Videos lists the videos under dir (recursively, hidden entries skipped)
// as slash-separated paths relative to dir, sorted.
func Videos(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && VideoExts[strings.ToLower(filepath.Ext(p))] {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing the videos of %s: %w", dir, err)
	}
	sort.Strings(out)
	return out, nil
}
