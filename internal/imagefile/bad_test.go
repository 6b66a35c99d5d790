package imagefile

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestBadSummary(t *testing.T) {
	var b Bad
	if s := b.Summary(3, "skipped"); s != "" || b.Len() != 0 {
		t.Fatalf("empty: %q, %d", s, b.Len())
	}
	b.Add("a.jpg", errors.New("empty file (0 bytes)"))
	if got, want := b.Summary(3, "skipped"), "1 of 3 images skipped: a.jpg (empty file (0 bytes))"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	for i := 0; i < Shown+2; i++ {
		b.Add(fmt.Sprintf("x%d.png", i), errors.New("not an image"))
	}
	s := b.Summary(20, "cannot be decoded")
	if !strings.HasPrefix(s, "8 of 20 images cannot be decoded: a.jpg") || !strings.HasSuffix(s, ", and 3 more") {
		t.Errorf("summary %q", s)
	}
	if strings.Count(s, "(") != Shown+1 { // the first reason holds a parenthesis of its own
		t.Errorf("summary names %d files, want %d: %q", strings.Count(s, "(")-1, Shown, s)
	}
}
