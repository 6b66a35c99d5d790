//go:build torch

package train

import (
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/infer"
	"github.com/ferlive/ferlive/internal/ort"
)

// TestDistilFromTeacher trains with a teacher as a user distils the shipped
// model into a model of their own faces: every training target is
// (1-w) x the face's one-hot label + w x what the exported teacher says of
// that face read from disk and of its mirror image, through the runtime's
// own preprocessing; the card's command line names the teacher; a teacher
// that lacks one of the data's classes, and a weight outside [0, 1], are
// refused with the flag named.
func TestDistilFromTeacher(t *testing.T) {
	root, o := trainOwnFaces(t, 2)
	teacher := filepath.Join(t.TempDir(), "teacher.onnx")
	if err := ExportCommand(Installation{})(context.Background(), []string{"--checkpoint", filepath.Join(o.Out, "best.pt"), "--out", teacher, "--threads", "1"}); err != nil {
		t.Fatal(err)
	}

	const w = 0.3
	ko := o
	ko.Out, ko.Teacher, ko.TeacherWeight = filepath.Join(t.TempDir(), "distil"), teacher, w
	var log strings.Builder
	tr := setUpTrainer(t, ko, &log)
	if !strings.Contains(log.String(), "teachers (with mirror images) agree with the training labels: "+teacher) {
		t.Errorf("log does not report the teacher:\n%s", log.String())
	}
	d := tr.train
	if len(d.Soft) != d.Len() || d.Len() == 0 {
		t.Fatalf("%d training targets for %d faces", len(d.Soft), d.Len())
	}
	if err := ort.InitDefault("", ""); err != nil {
		t.Fatal(err)
	}
	c, err := infer.Open(teacher, ort.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetMirror(true)
	folder := map[string]string{} // class name as the data has it -> folder
	ents, err := os.ReadDir(filepath.Join(root, "train"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		folder[strings.ToLower(e.Name())] = e.Name()
	}
	var moved float64 // how far the teacher moves targets from one-hot
	for i := range d.Images {
		class := d.Classes[d.Labels[i]]
		m := gocv.IMRead(filepath.Join(root, "train", folder[strings.ToLower(class)], d.Names[i]), gocv.IMReadGrayScale)
		in, err := c.PreprocessImages([]gocv.Mat{m})
		if err != nil {
			m.Close()
			t.Fatal(err)
		}
		p, err := c.Run(in, 1)
		m.Close()
		if err != nil {
			t.Fatal(err)
		}
		for k, q := range d.Soft[i] {
			want := w * float64(p[0][k])
			if k == d.Labels[i] {
				want += 1 - w
			}
			if math.Abs(float64(q)-want) > 1e-5 {
				t.Fatalf("%s/%s: target %v, want %.2f x one-hot + %.2f x teacher %v", class, d.Names[i], d.Soft[i], 1-w, w, p[0])
			}
			moved += math.Abs(float64(q) - want + w*float64(p[0][k]))
		}
	}
	if moved == 0 {
		t.Error("the teacher left every target one-hot")
	}
	if cmd := CommandLine(tr.opt); !strings.Contains(cmd, "--teacher "+teacher+" --teacher-weight 0.3") {
		t.Errorf("command line lacks the teacher: %q", cmd)
	}

	// a short run with the teacher trains and resumes with the same
	// targets, read back from the run folder, or made again if that file
	// is damaged
	ko.Out = filepath.Join(t.TempDir(), "run")
	ko.Epochs, ko.MaxSteps = 1, 2
	if err := RunTrain(context.Background(), ko, io.Discard); err != nil {
		t.Fatal(err)
	}
	re := ko
	re.Teacher, re.Resume, re.Epochs = "", true, 2
	if err := RunTrain(context.Background(), re, io.Discard); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(ko.Out, teacherCache)
	b, err := os.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cache, b[:len(b)-10], 0o644); err != nil {
		t.Fatal(err)
	}
	re.Epochs = 3
	if err := RunTrain(context.Background(), re, io.Discard); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(filepath.Join(ko.Out, "log.txt"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(text), "\n")
	var said []string
	for _, l := range lines {
		for _, m := range []string{"teachers (with mirror images) agree", "read from " + cache, "classifying the faces again"} {
			if strings.Contains(l, m) {
				said = append(said, m)
			}
		}
	}
	if want := []string{"teachers (with mirror images) agree", "read from " + cache, "teachers (with mirror images) agree",
		"classifying the faces again", "teachers (with mirror images) agree"}; strings.Join(said, "|") != strings.Join(want, "|") {
		t.Errorf("log of a run resumed with its teacher file, then with it damaged, says %q, want %q", said, want)
	}
	// a teacher file replaced by another model: the run refuses to resume
	// with targets other than those it started with
	other := filepath.Join(t.TempDir(), "other.onnx")
	if err := ExportCommand(Installation{})(context.Background(), []string{"--checkpoint", filepath.Join(ko.Out, "last.pt"), "--out", other, "--threads", "1"}); err != nil {
		t.Fatal(err)
	}
	saved, err := os.ReadFile(teacher)
	if err != nil {
		t.Fatal(err)
	}
	b, err = os.ReadFile(other)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(teacher, b, 0o644); err != nil {
		t.Fatal(err)
	}
	re.Epochs = 4
	if err := RunTrain(context.Background(), re, io.Discard); err == nil || !strings.Contains(err.Error(), "--resume") || !strings.Contains(err.Error(), teacher) {
		t.Errorf("resume with a teacher file replaced: error %v", err)
	}
	if err := os.WriteFile(teacher, saved, 0o644); err != nil {
		t.Fatal(err)
	}
	if st, err := ReadState(filepath.Join(ko.Out, "last.pt")); err != nil || st.Distil == nil || st.Distil.Weight != w || len(st.Distil.TrainAgree) != 1 {
		t.Errorf("state of a resumed distilled run: %+v, %v", st.Distil, err)
	}

	card := filepath.Join(t.TempDir(), "distilled.md")
	if err := ExportCommand(Installation{})(context.Background(), []string{"--checkpoint", filepath.Join(ko.Out, "best.pt"), "--out", strings.TrimSuffix(card, ".md") + ".onnx",
		"--data", root, "--card", card, "--threads", "1"}); err != nil {
		t.Fatal(err)
	}
	if text, err = os.ReadFile(card); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Distilled (`--teacher`) from `" + teacher + "` (agreeing with ", "0.70 x its label + 0.30 x the teachers'", "--teacher " + teacher} {
		if !strings.Contains(string(text), want) {
			t.Errorf("card of a distilled run lacks %q", want)
		}
	}

	bad := o
	bad.Out, bad.Teacher, bad.TeacherWeight = filepath.Join(t.TempDir(), "bad"), teacher, 1.5
	if err := RunTrain(context.Background(), bad, io.Discard); err == nil || !strings.Contains(err.Error(), "--teacher-weight 1.5") {
		t.Errorf("--teacher-weight 1.5: error %v", err)
	}
	bad.TeacherWeight = 0.5
	bad.Teacher = filepath.Join(t.TempDir(), "gone.onnx")
	if err := RunTrain(context.Background(), bad, io.Discard); err == nil || !strings.Contains(err.Error(), "gone.onnx") {
		t.Errorf("missing teacher: error %v", err)
	}
	bad.Teacher = teacher
	addAngryClass(t, root)
	if err := RunTrain(context.Background(), bad, io.Discard); err == nil || !strings.Contains(err.Error(), "angry") || !strings.Contains(err.Error(), teacher) {
		t.Errorf("teacher without the data's class angry: error %v", err)
	}
}
