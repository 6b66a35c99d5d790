package main

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferlive/ferlive/facedetect"
	"github.com/ferlive/ferlive/testkit/synth"
	"github.com/ferlive/ferlive/testkit/testenv"
)

// BenchmarkShortcuts measures each per-frame shortcut (--detect-every N,
// --reuse-iou / --refresh) as speed against agreement with the every-frame
// full pipeline (detect-every 1, no reuse) of the same run, with the shipped
// default model and BlazeFace, on three synthesised 640x360 clips (four
// moving faces; five laughing faces in dim light; an audience of nine).
// Metrics: fps and speedup over the full pipeline measured just before it,
// found% (the full pipeline's face-frames that the shortcut also has, IoU
// >= 0.5) and labels% (of those face-frames, the share with the same label
// as the full pipeline's). A shortcut may become a default only where both
// stay >= 95%. Use -benchtime 1x: one iteration annotates the whole clip.
func BenchmarkShortcuts(b *testing.B) {
	photos := filepath.Join(testenv.Data(b), "photos")
	det := testenv.BlazeFace(b)
	model, err := filepath.Abs("../../assets/models/rlrcnet-fer2013.onnx")
	if err != nil {
		b.Fatal(err)
	}
	if m := os.Getenv("FERLIVE_BENCH_MODEL"); m != "" {
		model = m
	}
	dir := b.TempDir()
	const frames = 200
	clips := []struct {
		name string
		spec synth.Spec
		fs   []synth.Face
	}{
		{"bench4", synth.Bench(640, 360, 4, frames), synth.PhotoFaces(photos)},
		{"laughing", synth.Laughing(frames), synth.LaughingFaces(photos)},
		{"crowd", synth.Crowd(640, 360, frames), synth.CrowdFaces(photos)},
	}
	type variant struct {
		name    string
		every   int
		reuse   float64
		refresh int
	}
	variants := []variant{
		{"every2", 2, 0, 0}, {"every3", 3, 0, 0},
		{"reuse0.9-refresh5", 1, 0.9, 5}, {"reuse0.8-refresh5", 1, 0.8, 5}, {"reuse0.9-refresh10", 1, 0.9, 10},
		{"every2-reuse0.9-refresh5", 2, 0.9, 5},
	}
	for _, c := range clips {
		clip := filepath.Join(dir, c.name+".mp4")
		if _, err := synth.Write(clip, c.spec, c.fs); err != nil {
			b.Fatal(err)
		}
		annotate := func(v variant, out string) ([]jsonFrame, float64) {
			j := annotateJob{input: clip, noProg: true}
			j.f = runtimeFlags{model: model, detector: "blazeface", detModel: det, detectEvery: v.every,
				reuseIoU: v.reuse, refresh: v.refresh, device: "cpu", jsonl: out}
			stats, err := j.run(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			_, fps := stats.Frames()
			return readJSONL(b, out), fps
		}
		for _, v := range variants {
			b.Run(fmt.Sprintf("%s/%s", c.name, v.name), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					// The reference runs just before the shortcut, so the
					// speedup compares runs under the same load.
					full, fullFPS := annotate(variant{name: "full", every: 1}, filepath.Join(dir, "full.jsonl"))
					got, fps := annotate(v, filepath.Join(dir, "shortcut.jsonl"))
					found, labels := agreement(full, got)
					b.ReportMetric(fps, "fps")
					b.ReportMetric(fullFPS, "full-fps")
					b.ReportMetric(fps/fullFPS, "speedup")
					b.ReportMetric(100*found, "found%")
					b.ReportMetric(100*labels, "labels%")
					b.ReportMetric(0, "ns/op")
				}
			})
		}
	}
}

// agreement compares a shortcut's frames with the full pipeline's: the
// share of the full pipeline's face-frames that the shortcut also found
// (IoU >= 0.5, each face matched once), and of those the share labelled
// the same.
func agreement(full, got []jsonFrame) (found, labels float64) {
	total, hits, same := 0, 0, 0
	for i, fr := range full {
		if i >= len(got) {
			total += len(fr.Faces)
			continue
		}
		used := map[int]bool{}
		for _, f := range fr.Faces {
			total++
			fb := image.Rect(f.Box[0], f.Box[1], f.Box[0]+f.Box[2], f.Box[1]+f.Box[3])
			best, bi := 0.5, -1
			for k, g := range got[i].Faces {
				gb := image.Rect(g.Box[0], g.Box[1], g.Box[0]+g.Box[2], g.Box[1]+g.Box[3])
				if iou := facedetect.IoU(fb, gb); !used[k] && iou >= best {
					best, bi = iou, k
				}
			}
			if bi < 0 {
				continue
			}
			used[bi] = true
			hits++
			if got[i].Faces[bi].Label == f.Label {
				same++
			}
		}
	}
	if total == 0 {
		return 1, 1
	}
	if hits == 0 {
		return 0, 0
	}
	return float64(hits) / float64(total), float64(same) / float64(hits)
}
