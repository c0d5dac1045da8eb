//go:build unix

package search

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used: the benchmarks report
// throughput per CPU-second beside wall time, because the 2-core machine
// they run on is shared and wall time mostly measures the other jobs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
