package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSystemdUnitsVerify checks the shipped units with systemd-analyze
// verify: ferlive.service and an instance of the ferlive@.service
// template. The only change made to them is ExecStart's binary path, which
// must exist for verify. Any warning fails the test (verify exits 0 on
// unknown keys and bad values); a broken copy shows the check can fail.
func TestSystemdUnitsVerify(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze is not installed (no systemd here)")
	}
	bin, _ := fleetFixtures(t)
	dir := t.TempDir()
	copyUnit := func(name, to string, edit func(string) string) string {
		data, err := os.ReadFile(filepath.Join("..", "..", "systemd", name))
		if err != nil {
			t.Fatal(err)
		}
		s := strings.ReplaceAll(string(data), "/usr/local/bin/ferlive", bin)
		if edit != nil {
			s = edit(s)
		}
		p := filepath.Join(dir, to)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	verify := func(unit string) (string, error) {
		out, err := exec.Command("systemd-analyze", "verify", unit).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	copyUnit("ferlive.service", "ferlive.service", nil)
	copyUnit("ferlive@.service", "ferlive@.service", nil)
	for _, unit := range []string{"ferlive.service", "ferlive@door.service"} {
		out, err := verify(filepath.Join(dir, unit))
		if err != nil || out != "" {
			t.Errorf("systemd-analyze verify %s: %v\n%s", unit, err, out)
		}
	}
	bad := copyUnit("ferlive@.service", "broken@.service", func(s string) string {
		return strings.Replace(s, "Restart=always", "Restart=sometimes\nWatchdgSec=5", 1)
	})
	if out, err := verify(strings.Replace(bad, "broken@", "broken@door", 1)); err == nil && out == "" {
		t.Error("systemd-analyze verify found nothing wrong with a broken unit: the check cannot fail")
	}
}

// notifyListener is a fake systemd: a unixgram socket collecting
// sd_notify datagrams.
type notifyListener struct {
	path string
	mu   sync.Mutex
	msgs []string
}

func listenNotify(t *testing.T) *notifyListener {
	t.Helper()
	// Unix socket paths are short: not under t.TempDir's long name.
	dir, err := os.MkdirTemp("", "sdn")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	n := &notifyListener{path: filepath.Join(dir, "notify")}
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: n.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			k, err := c.Read(buf)
			if err != nil {
				return
			}
			n.mu.Lock()
			n.msgs = append(n.msgs, string(buf[:k]))
			n.mu.Unlock()
		}
	}()
	return n
}

// first returns the first message starting with prefix.
func (n *notifyListener) first(prefix string) (string, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, m := range n.msgs {
		if strings.HasPrefix(m, prefix) {
			return m, true
		}
	}
	return "", false
}

func (n *notifyListener) count(prefix string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for _, m := range n.msgs {
		if strings.HasPrefix(m, prefix) {
			c++
		}
	}
	return c
}

// TestSystemdNotify runs `ferlive live` as systemd would, with a fake
// NOTIFY_SOCKET and WATCHDOG_USEC: it must say READY=1, pet the watchdog
// (WATCHDOG=1) while frames flow, report its figures with STATUS= and say
// STOPPING=1 on SIGTERM.
func TestSystemdNotify(t *testing.T) {
	bin, model := fleetFixtures(t)
	n := listenNotify(t)
	p := startFerlive(t, bin, []string{"NOTIFY_SOCKET=" + n.path, "WATCHDOG_USEC=400000"},
		"live", "--camera", liveCamera(t, 10), "--headless", "--jsonl", filepath.Join(t.TempDir(), "o.jsonl"),
		"--model", model, "--detector", "haar", "--threads", "1", "--metrics-addr", "127.0.0.1:0")
	deadline := time.Now().Add(90 * time.Second)
	for n.count("WATCHDOG=1") < 3 || !strings.Contains(func() string { s, _ := n.first("STATUS="); return s }(), "fps") {
		if time.Now().After(deadline) {
			t.Fatalf("within 90 s: %d WATCHDOG=1, messages %v; stderr:\n%s", n.count("WATCHDOG=1"), n.msgs, p.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2500 * time.Millisecond) // a status with frames counted
	p.stop(t)
	if _, ok := n.first("READY=1"); !ok {
		t.Error("no READY=1")
	}
	if _, ok := n.first("STOPPING=1"); !ok {
		t.Error("no STOPPING=1 after SIGTERM")
	}
	n.mu.Lock()
	var statuses []string
	for _, m := range n.msgs {
		if strings.HasPrefix(m, "STATUS=") {
			statuses = append(statuses, m)
		}
	}
	n.mu.Unlock()
	last := statuses[len(statuses)-1]
	t.Logf("%d WATCHDOG=1, %d STATUS=, last %q", n.count("WATCHDOG=1"), len(statuses), last)
	if !strings.Contains(last, "fps processed") || !strings.Contains(last, "metrics on 127.0.0.1:") || strings.Contains(last, " 0 frames") {
		t.Errorf("last status %q: want rates, frames processed and the metrics address", last)
	}
}
