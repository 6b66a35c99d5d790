// Package sdnotify speaks systemd's notify protocol (sd_notify): READY=1 when
// the service is up, WATCHDOG=1 to pet the watchdog, STATUS= for the line
// systemctl status shows, STOPPING=1 on exit. It
// does nothing when $NOTIFY_SOCKET is not set (not run by systemd).
package sdnotify

import (
	"math"
	"net"
	"os"
	"strconv"
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
	return &Notifier{addr: os.Getenv("NOTIFY_SOCKET"), every: pingEvery(os.Getenv("WATCHDOG_USEC"))}
}

// pingEvery is the watchdog ping period for a $WATCHDOG_USEC value: a
// quarter of the watchdog period, or one second when the value is absent
// or not a positive whole number of microseconds.
func pingEvery(usec string) time.Duration {
	us, err := strconv.ParseInt(usec, 10, 64)
	if err != nil || us <= 0 || us > math.MaxInt64/int64(time.Microsecond) {
		return time.Second
	}
	if d := time.Duration(us) * time.Microsecond / 4; d > 0 {
		return d
	}
	return time.Second
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
