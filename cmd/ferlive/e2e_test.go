package main

import (
	"bufio"
	"context"
	"encoding/json"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/capture"
	"github.com/ferlive/ferlive/facedetect"
	"github.com/ferlive/ferlive/testkit/mp4matrix"
	"github.com/ferlive/ferlive/testkit/synth"
	"github.com/ferlive/ferlive/testkit/testenv"
	"github.com/ferlive/ferlive/testkit/testmodel"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// jsonFrame is one line of the JSON Lines output.
type jsonFrame struct {
	Frame  int     `json:"frame"`
	TimeMs float64 `json:"time_ms"`
	Path   string  `json:"path"`
	Faces  []struct {
		ID    int                `json:"id"`
		Box   [4]int             `json:"box"`
		Label string             `json:"label"`
		Score float64            `json:"score"`
		Probs map[string]float64 `json:"probs"`
	} `json:"faces"`
}

func readJSONL(t testing.TB, path string) []jsonFrame {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []jsonFrame
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var fr jsonFrame
		if err := json.Unmarshal(sc.Bytes(), &fr); err != nil {
			t.Fatalf("%s: line %d: %v", path, len(out)+1, err)
		}
		out = append(out, fr)
	}
	return out
}

// detectorCase is a detector and its model for the tests and benchmarks.
type detectorCase struct {
	name, kind, model string
	args              []string // extra flags
}

func detectorCases(t testing.TB) []detectorCase {
	return []detectorCase{
		{"haar", "haar", "", nil},
		{"blazeface", "blazeface", testenv.BlazeFace(t), nil},
		{"yunet", "yunet", testenv.Model(t, "yunet/yunet_n_dynamic.onnx"), nil},
		{"ultraface", "ultraface", testenv.Model(t, "ultraface/version-RFB-320.onnx"), nil},
	}
}

// fixtures makes the test model and the end-to-end clip once per process.
var fixtures struct {
	once  sync.Once
	dir   string
	model string
	clip  string
	truth []synth.Truth
	err   error
}

func e2eFixtures(t testing.TB) (model, clip string, truth []synth.Truth) {
	t.Helper()
	photos := filepath.Join(testenv.Data(t), "photos")
	fixtures.once.Do(func() {
		fixtures.dir, fixtures.err = os.MkdirTemp("", "ferlive-e2e")
		if fixtures.err != nil {
			return
		}
		fixtures.model = filepath.Join(fixtures.dir, "model.onnx")
		if fixtures.err = testmodel.Write(fixtures.model, testmodel.DefaultSpec(), testmodel.Options{}); fixtures.err != nil {
			return
		}
		fixtures.clip = filepath.Join(fixtures.dir, "e2e.mp4")
		fixtures.truth, fixtures.err = synth.Write(fixtures.clip, synth.EndToEnd(), synth.PhotoFaces(photos))
	})
	if fixtures.err != nil {
		t.Fatal(fixtures.err)
	}
	return fixtures.model, fixtures.clip, fixtures.truth
}

// scoreRun compares detections with the truth: the share of (frame, true
// face) pairs matched by a box with IoU >= 0.5, and per true face the share
// of its matched frames that carry its most common id.
func scoreRun(truth []synth.Truth, frames []jsonFrame) (recall float64, idStability map[int]float64, idOwner map[int]int) {
	pairs, hits := 0, 0
	ids := map[int]map[int]int{} // true face -> id -> frames
	for i, tr := range truth {
		for face, tb := range tr {
			pairs++
			best, bestID := 0.0, 0
			for _, f := range frames[i].Faces {
				b := image.Rect(f.Box[0], f.Box[1], f.Box[0]+f.Box[2], f.Box[1]+f.Box[3])
				if iou := facedetect.IoU(b, tb); iou > best {
					best, bestID = iou, f.ID
				}
			}
			if best >= 0.5 {
				hits++
				if ids[face] == nil {
					ids[face] = map[int]int{}
				}
				ids[face][bestID]++
			}
		}
	}
	idStability, idOwner = map[int]float64{}, map[int]int{}
	for face, m := range ids {
		n, top, topID := 0, 0, 0
		for id, c := range m {
			n += c
			if c > top {
				top, topID = c, id
			}
		}
		idStability[face] = float64(top) / float64(n)
		idOwner[face] = topID
	}
	return float64(hits) / float64(pairs), idStability, idOwner
}

// TestAnnotateEndToEnd annotates the synthesised clip with each detector and
// checks detection recall against the true positions, id stability, the
// JSON Lines and CSV outputs, and the output video's frame count, size and fps.
func TestAnnotateEndToEnd(t *testing.T) {
	model, clip, truth := e2eFixtures(t)
	cases := detectorCases(t)
	// The fast setting: a full Haar scan every 3rd frame, local re-detection between.
	cases = append(cases, detectorCase{"haar-every3", "haar", "", []string{"--detect-every", "3"}})
	for _, dc := range cases {
		t.Run(dc.name, func(t *testing.T) {
			dir := t.TempDir()
			out, jl, csv := filepath.Join(dir, "out.mp4"), filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "out.csv")
			args := []string{"annotate", "--input", clip, "--output", out, "--jsonl", jl, "--csv", csv,
				"--model", model, "--detector", dc.kind, "--detector-model", dc.model, "--no-progress", "--threads", "1"}
			err := dispatch(context.Background(), append(args, dc.args...))
			if err != nil {
				t.Fatal(err)
			}
			frames := readJSONL(t, jl)
			if len(frames) != len(truth) {
				t.Fatalf("%d JSON Lines frames, want %d", len(frames), len(truth))
			}
			for i, f := range frames {
				if f.Frame != i {
					t.Fatalf("line %d has frame %d", i, f.Frame)
				}
				if want := float64(i) * 40; f.TimeMs < want-1 || f.TimeMs > want+1 {
					t.Fatalf("frame %d time_ms %v, want %v", i, f.TimeMs, want)
				}
				for _, face := range f.Faces {
					if len(face.Probs) != 7 || face.Probs[face.Label] != face.Score {
						t.Fatalf("frame %d: face %+v: want 7 probabilities and score = probs[label]", i, face)
					}
				}
			}
			recall, stab, owner := scoreRun(truth, frames)
			t.Logf("%s: %.1f%% of true face-frames found with IoU >= 0.5; id stability %v", dc.name, 100*recall, stab)
			if recall < 0.95 {
				t.Errorf("%s found %.1f%% of the true face-frames, want >= 95%%", dc.name, 100*recall)
			}
			seen := map[int]int{}
			for face, s := range stab {
				if s < 0.9 {
					t.Errorf("face %d keeps its main id in %.0f%% of its frames, want >= 90%%", face, 100*s)
				}
				if other, dup := seen[owner[face]]; dup {
					t.Errorf("faces %d and %d share id %d", face, other, owner[face])
				}
				seen[owner[face]] = face
			}
			checkVideo(t, out, 640, 360, 25, len(truth))
			rows := countLines(t, csv) - 1
			faces := 0
			for _, f := range frames {
				faces += len(f.Faces)
			}
			if rows != faces {
				t.Errorf("CSV has %d face rows, JSON Lines %d faces", rows, faces)
			}
		})
	}
}

func checkVideo(t testing.TB, path string, w, h int, fps float64, frames int) {
	t.Helper()
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil {
		t.Fatalf("output video %s: %v", path, err)
	}
	defer vc.Close()
	gw, gh, gf := int(vc.Get(gocv.VideoCaptureFrameWidth)), int(vc.Get(gocv.VideoCaptureFrameHeight)), vc.Get(gocv.VideoCaptureFPS)
	m := gocv.NewMat()
	defer m.Close()
	n := 0
	for vc.Read(&m) && !m.Empty() {
		n++
	}
	if gw != w || gh != h || gf < fps-0.01 || gf > fps+0.01 || n != frames {
		t.Fatalf("output video %dx%d %.2f fps %d frames, want %dx%d %.2f fps %d frames", gw, gh, gf, n, w, h, fps, frames)
	}
}

func countLines(t testing.TB, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range b {
		if c == '\n' {
			n++
		}
	}
	return n
}

// TestAnnotateFolderOfImages runs a folder: one JSON line per image with its
// path, fresh ids per image, and both faces of two_people.jpg.
func TestAnnotateFolderOfImages(t *testing.T) {
	model, _, _ := e2eFixtures(t)
	photos := filepath.Join(testenv.Data(t), "photos")
	dir := t.TempDir()
	for _, p := range []string{"two_people.jpg", "biden.jpg"} {
		b, err := os.ReadFile(filepath.Join(photos, p))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, p), b, 0o644)
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not an image"), 0o644)
	jl := filepath.Join(t.TempDir(), "out.jsonl")
	if err := dispatch(context.Background(), []string{"annotate", "--input", dir, "--jsonl", jl, "--model", model, "--no-progress"}); err != nil {
		t.Fatal(err)
	}
	frames := readJSONL(t, jl)
	if len(frames) != 2 {
		t.Fatalf("%d frames, want one per image", len(frames))
	}
	got := map[string]int{}
	for _, f := range frames {
		got[filepath.Base(f.Path)] = len(f.Faces)
		if len(f.Faces) > 0 && f.Faces[0].ID != 1 {
			t.Errorf("%s: first id %d, want fresh ids per image", f.Path, f.Faces[0].ID)
		}
	}
	if got["two_people.jpg"] != 2 || got["biden.jpg"] != 1 {
		t.Fatalf("faces per image %v", got)
	}
}

// TestAnnotatePortraitPhoneVideo: a phone's portrait recording (landscape
// frames plus a display matrix turning them 90 degrees clockwise) is
// annotated upright, as players show it, with the face where it is in the
// upright photo. Debian's OpenCV 4.6 turned such videos upside down on its
// own, and no face was found in them.
func TestAnnotatePortraitPhoneVideo(t *testing.T) {
	model, _, _ := e2eFixtures(t)
	photo := testenv.Photo(t, "obama-720p.jpg")
	upright := gocv.IMRead(photo, gocv.IMReadColor)
	defer upright.Close()
	sideways := gocv.NewMat()
	defer sideways.Close()
	gocv.Rotate(upright, &sideways, gocv.Rotate90CounterClockwise) // as the sensor saw it
	dir := t.TempDir()
	clip := filepath.Join(dir, "portrait.mp4")
	vw, err := capture.NewVideoWriter(clip, 10, sideways.Cols(), sideways.Rows())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if err := vw.Write(sideways); err != nil {
			t.Fatal(err)
		}
	}
	if err := vw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := mp4matrix.Set(clip, 0, 1, -1, 0); err != nil {
		t.Fatal(err)
	}

	ref, jl, out := filepath.Join(dir, "photo.jsonl"), filepath.Join(dir, "clip.jsonl"), filepath.Join(dir, "clip.annotated.mp4")
	if err := dispatch(context.Background(), []string{"annotate", "--input", photo, "--jsonl", ref, "--model", model, "--no-progress"}); err != nil {
		t.Fatal(err)
	}
	if err := dispatch(context.Background(), []string{"annotate", "--input", clip, "--output", out, "--jsonl", jl, "--model", model, "--no-progress"}); err != nil {
		t.Fatal(err)
	}
	want := readJSONL(t, ref)
	if len(want) != 1 || len(want[0].Faces) != 1 {
		t.Fatalf("upright photo: %d frames, want 1 with 1 face", len(want))
	}
	wb := want[0].Faces[0].Box
	frames := readJSONL(t, jl)
	if len(frames) != 5 {
		t.Fatalf("%d frames, want 5", len(frames))
	}
	for _, f := range frames {
		if len(f.Faces) != 1 {
			t.Fatalf("frame %d: %d faces, want the one face of the upright photo", f.Frame, len(f.Faces))
		}
		b := f.Faces[0].Box
		for k := range b {
			if d := b[k] - wb[k]; d < -8 || d > 8 {
				t.Fatalf("frame %d: box %v, want about %v (the upright photo's)", f.Frame, b, wb)
			}
		}
	}
	checkVideo(t, out, upright.Cols(), upright.Rows(), 10, 5)
}

// TestSparseDetectionFollowsErraticMotion checks that with full detections
// only every few frames, re-detecting tracked faces locally keeps up with a
// face that changes direction abruptly (extrapolation alone measured 45-62%).
func TestSparseDetectionFollowsErraticMotion(t *testing.T) {
	model, _, _ := e2eFixtures(t)
	photos := filepath.Join(testenv.Data(t), "photos")
	dir := t.TempDir()
	clip := filepath.Join(dir, "zigzag.mp4")
	truth, err := synth.Write(clip, synth.Zigzag(), synth.PhotoFaces(photos))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		det   detectorCase
		every string
	}{
		{detectorCase{"haar", "haar", "", nil}, "3"},
		{detectorCase{"yunet", "yunet", testenv.Model(t, "yunet/yunet_n_dynamic.onnx"), nil}, "4"},
	} {
		jl := filepath.Join(dir, c.det.name+".jsonl")
		if err := dispatch(context.Background(), []string{"annotate", "--input", clip, "--jsonl", jl, "--model", model,
			"--detector", c.det.kind, "--detector-model", c.det.model, "--detect-every", c.every, "--no-progress"}); err != nil {
			t.Fatal(err)
		}
		recall, stab, _ := scoreRun(truth, readJSONL(t, jl))
		t.Logf("%s, full detection every %s frames: recall %.1f%%, id stability %v", c.det.name, c.every, 100*recall, stab)
		if recall < 0.95 || stab[2] < 0.9 {
			t.Errorf("%s every %s: recall %.1f%%, id stability %.2f; want >= 95%% and >= 0.9", c.det.name, c.every, 100*recall, stab[2])
		}
	}
}

// TestLatencyReportComparesModels runs the latency report on two models over
// the same clip: per-stage statistics for each and the ratio table.
func TestLatencyReportComparesModels(t *testing.T) {
	model, clip, _ := e2eFixtures(t)
	dir := t.TempDir()
	big := filepath.Join(dir, "wider.onnx")
	if err := testmodel.Write(big, testmodel.DefaultSpec(), testmodel.Options{Widths: []int64{32, 64, 128}}); err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	runErr := dispatch(context.Background(), []string{"latency", "--input", clip, "--models", model + "," + big, "--frames", "30", "--warmup", "5"})
	w.Close()
	os.Stdout = stdout
	b, _ := io.ReadAll(r)
	out := string(b)
	if runErr != nil {
		t.Fatal(runErr)
	}
	for _, want := range []string{"== model.onnx", "== wider.onnx", "infer ", "p99", "throughput", "ratio to model.onnx"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
