package train

import "syscall"

// cpuSeconds is the process's user + system CPU time so far. On a shared
// machine the wall time of an epoch depends on the other jobs; the CPU
// time it took does much less.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}
