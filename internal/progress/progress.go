// Package progress draws a one-line progress bar (frames, fps, ETA) on a
// terminal, or prints a plain line every few seconds when the output is not
// a terminal (logs, CI).
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Bar reports progress over a known (or unknown, total 0) number of items.
type Bar struct {
	w        io.Writer
	tty      bool
	total    int
	label    string
	start    time.Time
	last     time.Time
	interval time.Duration
	done     int
}

// New returns a bar writing to w; total 0 means unknown.
func New(w io.Writer, label string, total int) *Bar {
	tty := false
	interval := 5 * time.Second
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
			interval = 200 * time.Millisecond
		}
	}
	now := time.Now()
	return &Bar{w: w, tty: tty, total: total, label: label, start: now, last: now, interval: interval}
}

// Set records that n items are done and redraws when due.
func (b *Bar) Set(n int) {
	b.done = n
	if now := time.Now(); now.Sub(b.last) >= b.interval {
		b.last = now
		b.draw(false)
	}
}

// Finish draws the final state and ends the line.
func (b *Bar) Finish() {
	b.draw(true)
}

// Line returns the progress text without the bar (for tests and logs).
func (b *Bar) Line() string {
	el := time.Since(b.start).Seconds()
	fps := 0.0
	if el > 0 {
		fps = float64(b.done) / el
	}
	if b.total > 0 {
		eta := "--:--"
		if fps > 0 {
			eta = clock(time.Duration(float64(b.total-b.done) / fps * float64(time.Second)))
		}
		return fmt.Sprintf("%s %3.0f%% %d/%d frames %.1f fps ETA %s", b.label,
			100*float64(b.done)/float64(b.total), b.done, b.total, fps, eta)
	}
	return fmt.Sprintf("%s %d frames %.1f fps elapsed %s", b.label, b.done, fps, clock(time.Since(b.start)))
}

func (b *Bar) draw(final bool) {
	line := b.Line()
	if !b.tty {
		fmt.Fprintln(b.w, line)
		return
	}
	bar := ""
	if b.total > 0 {
		const width = 30
		n := min(width, b.done*width/b.total)
		bar = "[" + strings.Repeat("=", n) + strings.Repeat(" ", width-n) + "] "
	}
	end := ""
	if final {
		end = "\n"
	}
	fmt.Fprintf(b.w, "\r\033[K%s%s%s", bar, line, end)
}

func clock(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
