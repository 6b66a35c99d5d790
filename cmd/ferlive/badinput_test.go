package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferlive/ferlive/testkit/testenv"
	"github.com/ferlive/ferlive/testkit/testmodel"
)

// TestBadInputErrors runs the CLI on broken inputs: each must fail with one
// error that names the input, and a non-zero exit status.
func TestBadInputErrors(t *testing.T) {
	model, clip, _ := e2eFixtures(t)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	video, err := os.ReadFile(clip)
	if err != nil {
		t.Fatal(err)
	}
	empty := write("empty.mp4", nil)
	text := write("notes.mp4", []byte("this is a text file, not a video\n"))
	truncated := write("truncated.mp4", video[:len(video)/3])
	noMeta := filepath.Join(dir, "nometa.onnx")
	if err := testmodel.Write(noMeta, testmodel.DefaultSpec(), testmodel.Options{NoMeta: true}); err != nil {
		t.Fatal(err)
	}
	corrupt := write("corrupt.onnx", []byte("\x08\x07garbage that is not protobuf"))
	ultra := testenv.Model(t, "ultraface/version-RFB-320.onnx")
	out := filepath.Join(dir, "out.jsonl")
	cases := []struct {
		name  string
		args  []string
		names string // the input the error must name
		code  int
	}{
		{"missing video", []string{"annotate", "--input", filepath.Join(dir, "nope.mp4"), "--jsonl", out, "--model", model}, "nope.mp4", 1},
		{"empty video", []string{"annotate", "--input", empty, "--jsonl", out, "--model", model}, empty, 1},
		{"text as video", []string{"annotate", "--input", text, "--jsonl", out, "--model", model}, text, 1},
		{"truncated video", []string{"annotate", "--input", truncated, "--jsonl", out, "--model", model, "--no-progress"}, truncated, 1},
		{"camera that does not exist", []string{"--camera", "17", "--headless", "--jsonl", out, "--model", model}, "17", 1},
		{"model without metadata", []string{"annotate", "--input", clip, "--jsonl", out, "--model", noMeta}, noMeta, 1},
		{"corrupt model", []string{"annotate", "--input", clip, "--jsonl", out, "--model", corrupt}, corrupt, 1},
		{"missing model", []string{"annotate", "--input", clip, "--jsonl", out, "--model", filepath.Join(dir, "gone.onnx")}, "gone.onnx", 1},
		{"detector model of the wrong shape", []string{"annotate", "--input", clip, "--jsonl", out, "--model", model, "--detector", "yunet", "--detector-model", ultra}, ultra, 1},
		{"onnx file as cascade", []string{"annotate", "--input", clip, "--jsonl", out, "--model", model, "--detector", "haar", "--detector-model", model}, model, 1},
		{"classifier as default detector", []string{"annotate", "--input", clip, "--jsonl", out, "--model", model, "--detector-model", model}, model, 1},
		{"unknown detector", []string{"annotate", "--input", clip, "--jsonl", out, "--model", model, "--detector", "mtcnn"}, "mtcnn", 1},
		{"no output asked", []string{"annotate", "--input", clip, "--model", model}, "--output", 2},
		{"unknown flag", []string{"annotate", "--frobnicate"}, "frobnicate", 2},
		{"bad device", []string{"annotate", "--input", clip, "--jsonl", out, "--model", model, "--device", "tpu"}, "tpu", 1},
		{"rotation not a quarter turn", []string{"annotate", "--input", clip, "--jsonl", out, "--model", model, "--rotate", "45"}, "--rotate 45", 2},
		{"reuse IoU above 1", []string{"annotate", "--input", clip, "--jsonl", out, "--model", model, "--reuse-iou", "1.5"}, "--reuse-iou 1.5", 2},
		{"negative refresh", []string{"annotate", "--input", clip, "--jsonl", out, "--model", model, "--reuse-iou", "0.9", "--refresh", "-1"}, "--refresh -1", 2},
		{"input rate without input", []string{"--camera", "0", "--headless", "--jsonl", out, "--model", model, "--input-rate", "30"}, "--input-rate 30", 2},
		{"negative input rate", []string{"--input", clip, "--headless", "--jsonl", out, "--model", model, "--input-rate", "-5"}, "--input-rate -5", 2},
		{"camera rotation not a quarter turn", []string{"--camera", "0", "--headless", "--jsonl", out, "--model", model, "--rotate", "-90"}, "--rotate -90", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := dispatch(context.Background(), c.args)
			if err == nil {
				t.Fatalf("no error for %v", c.args)
			}
			if !strings.Contains(err.Error(), c.names) {
				t.Errorf("error %q does not name %s", err, c.names)
			}
			if strings.Count(err.Error(), "\n") > 0 {
				t.Errorf("error spans several lines: %q", err)
			}
			if code := exitStatus(err); code != c.code {
				t.Errorf("exit status %d, want %d (error %v)", code, c.code, err)
			}
		})
	}
}
