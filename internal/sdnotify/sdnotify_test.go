package sdnotify

import (
	"net"
	"path/filepath"
	"testing"
	"time"
)

func TestSendsToNotifySocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "4000000")
	n := New()
	if n.every != time.Second {
		t.Fatalf("watchdog interval %v, want 1s", n.every)
	}
	n.Ready()
	n.Watchdog()
	n.Watchdog() // rate-limited: not sent
	n.Stopping()
	var got []string
	buf := make([]byte, 64)
	l.SetReadDeadline(time.Now().Add(time.Second))
	for {
		k, err := l.Read(buf)
		if err != nil {
			break
		}
		got = append(got, string(buf[:k]))
	}
	want := []string{"READY=1", "WATCHDOG=1", "STOPPING=1"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

func TestNoSocketIsSilent(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	n := New()
	if n.Enabled() || n.Send("READY=1") != nil {
		t.Fatal("notifier without socket should do nothing")
	}
}
