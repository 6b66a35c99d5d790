package shard

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestShardsCoverEveryFileOnce: for several N, the N shards of an archive
// are disjoint and together hold every file exactly once; no shard is
// empty or far larger than its share; adding files moves none of the old
// ones.
func TestShardsCoverEveryFileOnce(t *testing.T) {
	var files []string
	for i := 0; i < 1000; i++ {
		files = append(files, fmt.Sprintf("season-%d/episode-%03d.mp4", i%7, i))
	}
	for _, n := range []int{1, 2, 3, 8, 16} {
		seen := map[string]int{}
		for k := 0; k < n; k++ {
			sel := Select(files, Spec{k, n})
			if len(sel) < len(files)/n/2 || len(sel) > 2*len(files)/n {
				t.Errorf("N=%d: shard %d holds %d of %d files", n, k, len(sel), len(files))
			}
			for _, f := range sel {
				seen[f]++
			}
		}
		for _, f := range files {
			if seen[f] != 1 {
				t.Fatalf("N=%d: %s is in %d shards", n, f, seen[f])
			}
		}
		if len(seen) != len(files) {
			t.Fatalf("N=%d: shards hold %d files, want %d", n, len(seen), len(files))
		}
	}
	before := Select(files, Spec{3, 8})
	more := append(append([]string(nil), files...), "new/one.mp4", "new/two.mkv")
	after := Select(more, Spec{3, 8})
	for _, f := range before {
		if Of(f, 8) != 3 || !contains(after, f) {
			t.Fatalf("%s moved out of shard 3 when files were added", f)
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestParse(t *testing.T) {
	if s, err := Parse("2/8"); err != nil || s != (Spec{2, 8}) || s.String() != "2/8" {
		t.Errorf("2/8: %v %v", s, err)
	}
	for _, bad := range []string{"8/8", "-1/4", "1", "a/b", "0/0", "1/-2", ""} {
		if _, err := Parse(bad); err == nil || !strings.Contains(err.Error(), "--shard") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestVideos(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"b.mp4", "a/c.MKV", "a/notes.txt", ".hidden/x.mp4", "d.jpg", "e.avi"} {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, nil, 0o644)
	}
	got, err := Videos(dir)
	if want := []string{"a/c.MKV", "b.mp4", "e.avi"}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("videos %v %v, want %v", got, err, want)
	}
	if _, err := Videos(filepath.Join(dir, "nope")); err == nil {
		t.Error("no error for a missing folder")
	}
}
