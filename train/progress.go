package train

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progress draws a one-line progress bar on a terminal, or a line every
// 30 s when the output is a file (nohup logs).
type progress struct {
	w     io.Writer
	tty   bool
	quiet bool
	last  time.Time
	dirty bool
}

func newProgress(w io.Writer, quiet bool) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progress{w: w, tty: tty, quiet: quiet}
}

func fmtDur(s float64) string {
	d := time.Duration(s) * time.Second
	if d >= time.Hour {
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

func (p *progress) update(epoch, epochs, step, steps int, loss, acc, rate, leftEpoch, leftTotal float64) {
	if p.quiet {
		return
	}
	every := 30 * time.Second
	if p.tty {
		every = 200 * time.Millisecond
	}
	if time.Since(p.last) < every && step != steps {
		return
	}
	p.last = time.Now()
	const width = 24
	fill := width * step / steps
	bar := strings.Repeat("=", fill) + strings.Repeat(" ", width-fill)
	line := fmt.Sprintf("epoch %d/%d [%s] %d/%d loss %.4f acc %.2f%% %.0f img/s ETA %s (run %s)",
		epoch, epochs, bar, step, steps, loss, 100*acc, rate, fmtDur(leftEpoch), fmtDur(leftTotal))
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.dirty = true
	} else {
		fmt.Fprintln(p.w, line)
	}
}

func (p *progress) done() {
	if p.dirty {
		fmt.Fprintln(p.w)
		p.dirty = false
	}
}
