package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer collects a process's stderr and the time each line arrived.
type lockedBuffer struct {
	mu    sync.Mutex
	lines []string
	at    []time.Time
	part  string
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.part += string(p)
	for {
		i := strings.IndexByte(b.part, '\n')
		if i < 0 {
			break
		}
		b.lines = append(b.lines, b.part[:i])
		b.at = append(b.at, time.Now())
		b.part = b.part[i+1:]
	}
	return len(p), nil
}

// waitLine waits until a line after line index from contains sub; it
// returns the line's index and arrival time.
func (b *lockedBuffer) waitLine(from int, sub string, within time.Duration) (int, time.Time, bool) {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		b.mu.Lock()
		for i := from; i < len(b.lines); i++ {
			if strings.Contains(b.lines[i], sub) {
				b.mu.Unlock()
				return i, b.at[i], true
			}
		}
		b.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	return 0, time.Time{}, false
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n") + b.part
}

func (b *lockedBuffer) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.lines)
}

// listening reports whether something listens on 127.0.0.1:port, read
// from /proc/net/tcp (connecting would take FFmpeg's only client slot).
func listening(port int) bool {
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return false
	}
	want := fmt.Sprintf("0100007F:%04X", port)
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 3 && f[1] == want && f[3] == "0A" {
			return true
		}
	}
	return false
}

// mjpegServer is FFmpeg's own HTTP server streaming a looping clip as
// MJPEG to one client, a real network camera on a loopback port.
type mjpegServer struct {
	t    *testing.T
	clip string
	port int
	cmd  *exec.Cmd
}

func (s *mjpegServer) url() string { return fmt.Sprintf("http://127.0.0.1:%d/cam.mjpg", s.port) }

// start runs the server and waits until it listens.
func (s *mjpegServer) start() {
	s.t.Helper()
	s.cmd = exec.Command("ffmpeg", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", s.clip,
		"-an", "-q:v", "5", "-f", "mpjpeg", "-listen", "1", s.url())
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	cmd := s.cmd
	s.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for !listening(s.port) {
		if time.Now().After(deadline) {
			s.t.Fatalf("ffmpeg does not listen on %d", s.port)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill ends the server the hard way (a camera losing power).
func (s *mjpegServer) kill() {
	s.cmd.Process.Kill()
	s.cmd.Wait()
}

// jsonlTimes returns the time_ms of every complete line written so far.
func jsonlTimes(path string) []float64 {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []float64
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, `"time_ms":`)
		if i < 0 {
			continue
		}
		v := line[i+len(`"time_ms":`):]
		if j := strings.IndexAny(v, ",}"); j >= 0 {
			v = v[:j]
		}
		if x, err := strconv.ParseFloat(v, 64); err == nil {
			out = append(out, x)
		}
	}
	return out
}

// waitRecords waits until path holds more than n records; it returns the
// count and when it was seen.
func waitRecords(path string, n int, within time.Duration) (int, time.Time) {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if c := len(jsonlTimes(path)); c > n {
			return c, time.Now()
		}
		time.Sleep(20 * time.Millisecond)
	}
	return len(jsonlTimes(path)), time.Time{}
}

// TestNetworkCameraFaults runs `ferlive live --headless` against a real
// network camera, FFmpeg's HTTP server streaming MJPEG on a loopback port,
// and breaks it for real: the server is killed mid-stream and started
// again after the backoff (ferlive must keep running, report the outage,
// reconnect and go on writing records with a gap in their timestamps); then
// the server is frozen (SIGSTOP: the connection stays open, nothing comes)
// and the stall path must fire. It reports the time from the server's
// return to the first record after it, and from the freeze to the stall.
func TestNetworkCameraFaults(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is not installed (make deps installs it)")
	}
	model, _, _ := e2eFixtures(t)
	dir := t.TempDir()
	clip := filepath.Join(dir, "clip.mp4")
	if out, err := exec.Command("ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15",
		"-t", "4", "-pix_fmt", "yuv420p", clip).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	bin := buildBinary(t, dir)
	srv := &mjpegServer{t: t, clip: clip, port: freePort(t)}
	srv.start()

	jl := filepath.Join(dir, "live.jsonl")
	cmd := exec.Command(bin, "live", "--camera", srv.url(), "--headless", "--jsonl", jl,
		"--model", model, "--detector", "haar", "--threads", "1")
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer cmd.Process.Kill()
	alive := func(when string) {
		t.Helper()
		select {
		case err := <-exited:
			t.Fatalf("%s: ferlive exited (%v); stderr:\n%s", when, err, stderr)
		default:
		}
	}
	if n, _ := waitRecords(jl, 5, 40*time.Second); n <= 5 {
		t.Fatalf("%d records before any fault; stderr:\n%s", n, stderr)
	}

	// 1. The server dies mid-stream and comes back after the backoff.
	from := stderr.len()
	srv.kill()
	killed := time.Now()
	if _, at, ok := stderr.waitLine(from, "reconnecting", 15*time.Second); !ok {
		t.Fatalf("the loss was not reported; stderr:\n%s", stderr)
	} else {
		t.Logf("loss reported %v after the kill", at.Sub(killed).Round(time.Millisecond))
	}
	time.Sleep(3 * time.Second) // several failed attempts: 0.1, 0.2, 0.4, 0.8, 1.6 s apart
	alive("during the outage")
	before := len(jsonlTimes(jl))
	srv.start()
	back := time.Now()
	n, first := waitRecords(jl, before, 20*time.Second)
	if first.IsZero() {
		t.Fatalf("no record within 20 s of the server's return; stderr:\n%s", stderr)
	}
	if _, _, ok := stderr.waitLine(from, "reconnected", time.Second); !ok {
		t.Errorf("the reconnection was not reported; stderr:\n%s", stderr)
	}
	t.Logf("reconnect: first record %v after the server's return (outage %v)", first.Sub(back).Round(time.Millisecond), back.Sub(killed).Round(time.Millisecond))
	times := jsonlTimes(jl)
	gap := times[before] - times[before-1]
	if gap < float64(back.Sub(killed).Milliseconds()) {
		t.Errorf("records %d and %d are %.0f ms apart, want at least the outage of %v", before-1, before, gap, back.Sub(killed))
	}
	_ = n

	// 2. The server freezes: the connection stays open, nothing comes.
	waitRecords(jl, len(jsonlTimes(jl))+5, 20*time.Second)
	from = stderr.len()
	srv.cmd.Process.Signal(syscall.SIGSTOP)
	frozen := time.Now()
	_, at, ok := stderr.waitLine(from, "stalled", 15*time.Second)
	if !ok {
		t.Fatalf("no stall reported within 15 s of the freeze; stderr:\n%s", stderr)
	}
	t.Logf("stall: reported %v after the server froze (stall timeout 5 s)", at.Sub(frozen).Round(time.Millisecond))
	srv.kill() // a stopped process dies on SIGKILL
	alive("after the stall")
	before = len(jsonlTimes(jl))
	srv.start()
	back = time.Now()
	if _, first = waitRecords(jl, before, 25*time.Second); first.IsZero() {
		t.Fatalf("no record within 25 s of the server's return after the stall; stderr:\n%s", stderr)
	}
	t.Logf("reconnect after the stall: first record %v after the server's return", first.Sub(back).Round(time.Millisecond))

	cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-exited:
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
			t.Errorf("after SIGINT: %v, want exit status 130; stderr:\n%s", err, stderr)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("ferlive did not exit within 15 s of SIGINT; stderr:\n%s", stderr)
	}
	recs := readJSONL(t, jl) // every line must be valid JSON
	t.Logf("%d records in all", len(recs))
}

// TestNetworkCameraSilentServer points live at a server that accepts the
// connection and never sends a byte: the initial open must fail within the
// open timeout (not OpenCV's default 30 s) with an error naming the stream.
func TestNetworkCameraSilentServer(t *testing.T) {
	model, _, _ := e2eFixtures(t)
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, silent
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	url := fmt.Sprintf("http://%s/cam.mjpg", l.Addr())
	start := time.Now()
	out, err := exec.Command(bin, "live", "--camera", url, "--headless", "--jsonl", filepath.Join(dir, "x.jsonl"),
		"--model", model, "--detector", "haar").CombinedOutput()
	took := time.Since(start)
	t.Logf("silent server: exit after %v: %v\n%s", took.Round(time.Millisecond), err, out)
	if err == nil {
		t.Fatal("live succeeded against a server that sends nothing")
	}
	if !strings.Contains(string(out), "cannot open") || !strings.Contains(string(out), l.Addr().String()) {
		t.Errorf("error does not say the stream cannot be opened: %s", out)
	}
	if took > 20*time.Second {
		t.Errorf("the open took %v, want it bounded by the open timeout (about 5 s)", took)
	}
}
