//go:build torch

package torch

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/ferlive/ferlive/train/torch/internal/staleptr"
)

const staleChildEnv = "FERLIVE_TORCH_STALE_CHILD"

// C libraries that were handed Go memory (libtorch's from_blob views of Go
// slices, ONNX Runtime tensors over Go buffers) leave Go pointers in the
// memory they free. Save and Load fill C arrays of names and tensor handles
// from Go; if such an array came from malloc with a stale pointer to a Go
// object that the GC has since freed, the write barrier marks that object
// and the runtime aborts with "found pointer to free object" (seen once in
// CI, in Load). The test plants such pointers where Load's arrays will be
// allocated and loads in a loop while the GC runs. The failure is a fatal
// runtime error, so the loop runs in a child process.
func TestLoadBesideStaleGoPointers(t *testing.T) {
	if os.Getenv(staleChildEnv) != "" {
		loadBesideStalePointers(t)
		return
	}
	if testing.Short() {
		t.Skip("-short: skipping the 2-second GC stress of Load")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadBesideStaleGoPointers$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), staleChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	const done = "loads beside stale pointers, no crash"
	if err != nil || !bytes.Contains(out, []byte(done)) {
		if len(out) > 3000 {
			out = out[:3000]
		}
		t.Fatalf("loading while the GC runs, with stale Go pointers in freed C memory: %v\n%s", err, out)
	}
	for _, l := range bytes.Split(out, []byte("\n")) {
		if bytes.Contains(l, []byte(done)) {
			t.Log("child process: " + string(bytes.TrimSpace(l)))
		}
	}
}

func loadBesideStalePointers(t *testing.T) {
	// Go objects of one size class: half stay alive so that their spans
	// stay in use, the other half are freed; their addresses are the
	// stale pointers.
	var kept, dropped [][]byte
	for i := 0; i < 400; i++ {
		b := make([]byte, 6500)
		if i%2 == 0 {
			kept = append(kept, b)
		} else {
			dropped = append(dropped, b)
		}
	}
	stale := make([]uintptr, len(dropped))
	for i, b := range dropped {
		stale[i] = uintptr(unsafe.Pointer(&b[0]))
	}
	dropped = nil
	runtime.GC()
	runtime.GC()

	// 64 tensors, so Load's arrays of names and handles take 65*8 bytes
	s := NewScope()
	defer s.Drop()
	const n = 64
	ts := make([]Named, n)
	for i := range ts {
		ts[i] = Named{fmt.Sprintf("t%d", i), MustFromFloat32([]float32{float32(i)}, []int64{1}, false).In(s)}
	}
	path := filepath.Join(t.TempDir(), "ck.pt")
	if err := Save(path, ts); err != nil {
		t.Fatal(err)
	}

	// pointer-rich ballast makes each GC cycle's marking long, and a
	// goroutine keeps the GC cycling, so Load's stores mostly happen
	// while the write barrier is on
	ballast := make([]*[8]int, 1<<19)
	for i := range ballast {
		ballast[i] = new([8]int)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-done:
				return
			default:
				runtime.GC()
			}
		}
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	loads := 0
	for start := time.Now(); time.Since(start) < 2*time.Second; loads++ {
		staleptr.Plant((n+1)*8, 2, stale)
		if err := Load(path, ts); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	got, err := ts[n-1].Tensor.Float32s()
	if err != nil || got[0] != n-1 {
		t.Fatalf("tensor t%d after the loads: %v, %v", n-1, got, err)
	}
	runtime.KeepAlive(kept)
	runtime.KeepAlive(ballast)
	fmt.Printf("%d loads beside stale pointers, no crash\n", loads)
}
