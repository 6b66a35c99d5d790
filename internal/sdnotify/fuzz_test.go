package sdnotify

import (
	"testing"
	"time"
)

// FuzzWatchdogUsec feeds arbitrary $WATCHDOG_USEC values (the one setting
// ferlive reads from its systemd environment itself) to the ping period:
// no panic, and always a positive period no longer than a quarter of a
// valid watchdog period.
func FuzzWatchdogUsec(f *testing.F) {
	for _, s := range []string{"", "30000000", "1", "4", "-5", "1.5", "9223372036854775807", "1h", " 10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d := pingEvery(s); d <= 0 || d > time.Duration(1<<62) {
			t.Fatalf("WATCHDOG_USEC=%q: ping every %v", s, d)
		}
	})
}

func TestPingEvery(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"": time.Second, "30000000": 7500 * time.Millisecond, "2": 500 * time.Nanosecond, "-1": time.Second,
		"1h": time.Second, "9223372036854775807": time.Second,
	} {
		if got := pingEvery(in); got != want {
			t.Errorf("pingEvery(%q) = %v, want %v", in, got, want)
		}
	}
}
