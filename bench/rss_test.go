package bench

import (
	"os/exec"
	"syscall"
	"testing"
)

// TestWatchPeakRSSIsTheChildsOwn checks that the daemon's peak RSS is
// measured from its own VmHWM: a small child of a process holding 256 MB
// reports a few MB, although its rusage Maxrss inherits the parent's peak.
func TestWatchPeakRSSIsTheChildsOwn(t *testing.T) {
	big := make([]byte, 256<<20)
	for i := range big {
		big[i] = byte(i)
	}
	cmd := exec.Command("sleep", "0.3")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	peak := make(chan int64)
	go func() { peak <- watchPeakRSS(cmd.Process.Pid, stop) }()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	close(stop)
	got := <-peak
	if got <= 0 || got > 64<<20 {
		t.Errorf("peak RSS of sleep = %d bytes, want between 0 and 64 MB", got)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	t.Logf("sleep: VmHWM %d kB, rusage Maxrss %d kB (parent holds %d MB)", got>>10, ru.Maxrss, len(big)>>20)
	big[len(big)-1] = 1 // keep big alive until the child has exited
}
