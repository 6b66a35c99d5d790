package progress

import (
	"bytes"
	"strings"
	"testing"
)

func TestLineAndNonTTYOutput(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, "annotate", 200)
	b.Set(50)
	if l := b.Line(); !strings.Contains(l, " 25% 50/200 frames") || !strings.Contains(l, "ETA") {
		t.Fatalf("line %q", l)
	}
	b.Finish()
	if out := buf.String(); !strings.HasSuffix(out, "\n") || strings.Contains(out, "\r") {
		t.Fatalf("non-terminal output %q has control characters or no newline", out)
	}
	u := New(&buf, "live", 0)
	u.Set(7)
	if l := u.Line(); !strings.Contains(l, "7 frames") || strings.Contains(l, "%") {
		t.Fatalf("unknown-total line %q", l)
	}
	if got := clock(3723e9); got != "1:02:03" {
		t.Fatalf("clock = %q", got)
	}
}
