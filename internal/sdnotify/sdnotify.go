// Package sdnotify speaks systemd's notify protocol (sd_notify): READY=1 when
// the service is up, WATCHDOG=1 to pet the watchdog, STATUS= for the line
// systemctl status shows, STOPPING=1 on exit. It
// does nothing when $NOTIFY_SOCKET is not set (not run by systemd).
package sdnotify

import (
	"net"
	"os"
	"sync"
	"time"
)

// Notifier sends notifications to systemd.
type Notifier struct {
	mu    sync.Mutex
	addr  string
	last  time.Time
	every time.Duration
}

// New returns a notifier for $NOTIFY_SOCKET. Watchdog pings are rate-limited
// to a quarter of $WATCHDOG_USEC (or one per second).
func New() *Notifier {
	n := &Notifier{addr: os.Getenv("NOTIFY_SOCKET"), every: time.Second}
	if us := os.Getenv("WATCHDOG_USEC"); us != "" {
		if d, err := time.ParseDuration(us + "us"); err == nil && d > 0 {
			n.every = d / 4
		}
	}
	return n
}

// Enabled reports whether a notify socket is configured.
func (n *Notifier) Enabled() bool { return n.addr != "" }

// Send writes one notification; errors are ignored beyond being returned.
func (n *Notifier) Send(state string) error {
	if n.addr == "" {
		return nil
	}
	addr := n.addr
	if addr[0] == '@' { // abstract socket
		addr = "\x00" + addr[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(state))
	return err
}

// Ready tells systemd the service has started.
func (n *Notifier) Ready() { n.Send("READY=1") }

// Status sets the one-line status systemctl status shows (STATUS=...).
func (n *Notifier) Status(line string) { n.Send("STATUS=" + line) }

// Stopping tells systemd the service is shutting down.
func (n *Notifier) Stopping() { n.Send("STOPPING=1") }

// Watchdog pets the watchdog, at most every quarter watchdog period.
func (n *Notifier) Watchdog() {
	if n.addr == "" {
		return
	}
	n.mu.Lock()
	now := time.Now()
	due := now.Sub(n.last) >= n.every
	if due {
		n.last = now
	}
	n.mu.Unlock()
	if due {
		n.Send("WATCHDOG=1")
	}
}
