package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/ferlive/ferlive/internal/shard"
)

// shardFlags are annotate's flags for archives split across machines.
type shardFlags struct {
	spec   string
	outDir string
	video  bool
}

func (s *shardFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&s.spec, "shard", "", "with --input FOLDER of videos: annotate shard K of N (K from 0; in a Kubernetes Indexed Job pass $(JOB_COMPLETION_INDEX)/N); per-video outputs and a manifest go to --out-dir; videos already complete are skipped")
	fs.StringVar(&s.outDir, "out-dir", "", "with --shard: folder for the per-video outputs (VIDEO.jsonl, VIDEO.summary.json, VIDEO.timeline.png, VIDEO.done.json) and manifest-K-of-N.json")
	fs.BoolVar(&s.video, "shard-video", false, "with --shard: also write each annotated video (VIDEO.annotated.mp4)")
}

// shardEntry is one video of a shard's manifest.
type shardEntry struct {
	Input   string   `json:"input"`           // relative to the archive folder
	Status  string   `json:"status"`          // done, skipped (complete from an earlier run), failed
	Outputs []string `json:"outputs"`         // relative to --out-dir
	Frames  int      `json:"frames"`          // frames annotated
	Seconds float64  `json:"seconds"`         // wall time of the annotation
	Error   string   `json:"error,omitempty"` // why it failed
}

// shardManifest is manifest-K-of-N.json: what this shard did.
type shardManifest struct {
	Shard   string       `json:"shard"`
	Input   string       `json:"input"`
	Archive int          `json:"archive_videos"` // videos in the whole folder
	Videos  []shardEntry `json:"videos"`
	Done    bool         `json:"done"` // every video of the shard is complete
	Updated time.Time    `json:"updated"`
}

// doneMarker is VIDEO.done.json, written after a video's outputs are
// complete: a rerun skips the video while it matches the input.
type doneMarker struct {
	Input   string    `json:"input"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mod_time"`
	Frames  int       `json:"frames"`
	Outputs []string  `json:"outputs"`
}

// runShard annotates shard K of N of the videos under --input.
func (j *annotateJob) runShard(ctx context.Context, sh *shardFlags) error {
	spec, err := shard.Parse(sh.spec)
	if err != nil {
		return usageError{err}
	}
	if sh.outDir == "" {
		return usageError{errors.New("annotate --shard: --out-dir is required (per-video outputs and the manifest go there)")}
	}
	if j.output != "" || j.f.jsonl != "" || j.f.csv != "" || j.f.summary != "" || j.f.timeline != "" {
		return usageError{errors.New("annotate --shard: the outputs are per video in --out-dir; drop --output, --jsonl, --csv, --summary and --timeline")}
	}
	if st, err := os.Stat(j.input); err != nil || !st.IsDir() {
		return usageError{fmt.Errorf("annotate --shard: --input %q: want a folder of videos", j.input)}
	}
	all, err := shard.Videos(j.input)
	if err != nil {
		return err
	}
	if len(all) == 0 {
		return usageError{fmt.Errorf("annotate --shard: no videos under %s (extensions %s)", j.input, videoExtList())}
	}
	mine := shard.Select(all, spec)
	if err := os.MkdirAll(sh.outDir, 0o755); err != nil {
		return fmt.Errorf("--out-dir: %w", err)
	}
	m := &shardManifest{Shard: spec.String(), Input: j.input, Archive: len(all)}
	manifest := filepath.Join(sh.outDir, fmt.Sprintf("manifest-%d-of-%d.json", spec.K, spec.N))
	fmt.Fprintf(os.Stderr, "annotate: shard %s: %d of the %d videos under %s\n", spec, len(mine), len(all), j.input)
	failed := 0
	for _, rel := range mine {
		if ctx.Err() != nil {
			break
		}
		e := j.annotateOne(ctx, rel, sh)
		if e.Status == "failed" {
			failed++
			fmt.Fprintf(os.Stderr, "annotate: %s: %s\n", rel, e.Error)
		}
		m.Videos = append(m.Videos, e)
		m.Updated = time.Now().UTC()
		if err := writeJSONAtomic(manifest, m); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	m.Done = failed == 0
	m.Updated = time.Now().UTC()
	if err := writeJSONAtomic(manifest, m); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("annotate --shard %s: %d of %d videos failed (see %s); a rerun retries them and skips the complete ones", spec, failed, len(mine), manifest)
	}
	return nil
}

func videoExtList() string {
	var exts []string
	for e := range shard.VideoExts {
		exts = append(exts, e)
	}
	return strings.Join(exts, " ")
}

// annotateOne annotates the archive's video rel into its outputs, unless
// its done marker says they are complete for this very input.
func (j *annotateJob) annotateOne(ctx context.Context, rel string, sh *shardFlags) shardEntry {
	in := filepath.Join(j.input, filepath.FromSlash(rel))
	base := strings.TrimSuffix(filepath.FromSlash(rel), filepath.Ext(rel))
	outs := []string{base + ".jsonl", base + ".summary.json", base + ".timeline.png"}
	if sh.video {
		outs = append(outs, base+".annotated.mp4")
	}
	e := shardEntry{Input: rel}
	for _, o := range outs {
		e.Outputs = append(e.Outputs, filepath.ToSlash(o))
	}
	st, err := os.Stat(in)
	if err != nil {
		e.Status, e.Error = "failed", err.Error()
		return e
	}
	marker := filepath.Join(sh.outDir, base+".done.json")
	if d, ok := readDone(marker); ok && d.Size == st.Size() && d.ModTime.Equal(st.ModTime()) && allExist(sh.outDir, outs) {
		e.Status, e.Frames = "skipped", d.Frames
		return e
	}
	os.Remove(marker)
	if err := os.MkdirAll(filepath.Dir(filepath.Join(sh.outDir, base)), 0o755); err != nil {
		e.Status, e.Error = "failed", err.Error()
		return e
	}
	one := *j
	one.input, one.noProg = in, true
	one.f.jsonl = filepath.Join(sh.outDir, outs[0])
	one.f.summary = filepath.Join(sh.outDir, outs[1])
	one.f.timeline = filepath.Join(sh.outDir, outs[2])
	if sh.video {
		one.output = filepath.Join(sh.outDir, outs[3])
	}
	t0 := time.Now()
	stats, err := one.run(ctx)
	e.Seconds = time.Since(t0).Round(time.Millisecond).Seconds()
	if stats != nil {
		e.Frames, _ = stats.Frames()
	}
	if err != nil {
		e.Status, e.Error = "failed", err.Error()
		return e
	}
	d := doneMarker{Input: rel, Size: st.Size(), ModTime: st.ModTime(), Frames: e.Frames, Outputs: e.Outputs}
	if err := writeJSONAtomic(marker, d); err != nil {
		e.Status, e.Error = "failed", err.Error()
		return e
	}
	e.Status = "done"
	return e
}

func readDone(path string) (doneMarker, bool) {
	var d doneMarker
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &d) != nil {
		return d, false
	}
	return d, true
}

func allExist(dir string, rels []string) bool {
	for _, r := range rels {
		if st, err := os.Stat(filepath.Join(dir, r)); err != nil || st.Size() == 0 {
			return false
		}
	}
	return true
}

// writeJSONAtomic writes v as indented JSON to path through a temporary
// file and a rename, so that a reader never sees half a file.
func writeJSONAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
