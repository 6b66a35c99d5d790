package main

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferlive/ferlive/testkit/testenv"
)

// TestAnnotateFolderWithBadFile annotates a folder of shared photos with a
// 0-byte .jpg among them: every good photo is processed, the bad file is
// named with its reason, the run ends with a summary and exit status 1,
// and --strict stops at the first bad file instead.
func TestAnnotateFolderWithBadFile(t *testing.T) {
	model, _, _ := e2eFixtures(t)
	dir := t.TempDir()
	good := map[string]string{"1_biden.jpg": "biden.jpg", "3_both.jpg": "obama_and_biden.jpg", "4_two.jpg": "two_people.jpg"}
	for name, photo := range good {
		b, err := os.ReadFile(testenv.Photo(t, photo))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	empty := filepath.Join(dir, "2_empty.jpg")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out.jsonl")
	args := []string{"annotate", "--input", dir, "--jsonl", out, "--model", model, "--detector", "haar", "--no-progress"}

	err := dispatch(context.Background(), args)
	if err == nil {
		t.Fatal("no error for a folder with a 0-byte image")
	}
	if code := exitStatus(err); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if msg := err.Error(); !strings.Contains(msg, "1 of 4 images skipped") || !strings.Contains(msg, "2_empty.jpg (empty file (0 bytes)") {
		t.Errorf("summary %q does not count and name the 0-byte file", msg)
	}
	if n := lines(t, out); n != len(good) {
		t.Errorf("%d records, want one per good photo (%d)", n, len(good))
	}

	err = dispatch(context.Background(), append(args, "--strict"))
	if err == nil || !strings.Contains(err.Error(), "2_empty.jpg") || strings.Contains(err.Error(), "skipped") {
		t.Fatalf("--strict: %v, want a stop naming 2_empty.jpg", err)
	}
	if n := lines(t, out); n != 1 {
		t.Errorf("--strict: %d records, want the one photo before the bad file", n)
	}
}

// lines counts the lines of a file.
func lines(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for s := bufio.NewScanner(f); s.Scan(); {
		n++
	}
	return n
}
