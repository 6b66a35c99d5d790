// Package ort owns the process-wide ONNX Runtime environment: finding the
// shared library, initialising it once, and creating sessions on the
// requested execution provider with clear errors.
//
// ONNX Runtime's environment is process-global by design (onnxruntime_go
// keeps it in package state), so this package initialises it exactly once.
package ort

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// EnvLib is the environment variable naming the ONNX Runtime shared library.
const EnvLib = "FERLIVE_ORT_LIB"

const libName = "libonnxruntime.so.1"

var (
	initOnce sync.Once
	initErr  error
	initPath string
)

// FindLibrary resolves the ONNX Runtime library: the explicit path if given,
// then $FERLIVE_ORT_LIB, then .deps/onnxruntime next to the executable or in
// the working directory or its parents (a source checkout after `make deps`),
// then the fallback (typically the path baked in at build time), then the
// system loader's search path.
func FindLibrary(explicit, fallback string) (string, error) {
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", fmt.Errorf("ONNX Runtime library %s: %w", explicit, err)
		}
		return explicit, nil
	}
	if p := os.Getenv(EnvLib); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("ONNX Runtime library from $%s=%s: %w", EnvLib, p, err)
		}
		return p, nil
	}
	var cands []string
	if exe, err := os.Executable(); err == nil {
		d := filepath.Dir(exe)
		cands = append(cands, filepath.Join(d, libName), filepath.Join(d, "..", ".deps", "onnxruntime", libName),
			filepath.Join(d, "..", "lib", "ferlive", libName))
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			cands = append(cands, filepath.Join(d, ".deps", "onnxruntime", libName))
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if fallback != "" {
		cands = append(cands, fallback)
	}
	cands = append(cands, "/usr/local/lib/"+libName, "/usr/lib/"+libName)
	for _, c := range cands {
		if _, err := os.Stat(c); err == nil {
			return c, nil
		}
	}
	return "", fmt.Errorf("ONNX Runtime library %s not found (looked in %s); run `make deps` or pass --ort-lib / set $%s",
		libName, strings.Join(cands, ", "), EnvLib)
}

// Init loads the ONNX Runtime library at path (see FindLibrary) and creates
// the environment. Later calls return the first call's result; asking for a
// different library after initialisation is an error.
func Init(path string) error {
	initOnce.Do(func() {
		initPath = path
		ort.SetSharedLibraryPath(path)
		if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
			initErr = fmt.Errorf("loading ONNX Runtime from %s: %w", path, err)
		}
	})
	if initErr == nil && path != initPath {
		return fmt.Errorf("ONNX Runtime already loaded from %s, cannot switch to %s", initPath, path)
	}
	return initErr
}

// InitDefault finds the library with FindLibrary(explicit, fallback) and
// initialises it. Already initialised environments are reused whatever the path.
func InitDefault(explicit, fallback string) error {
	if ort.IsInitialized() && explicit == "" {
		return nil
	}
	p, err := FindLibrary(explicit, fallback)
	if err != nil {
		return err
	}
	return Init(p)
}

// Devices lists the accepted values of Options.Device.
var Devices = []string{"cpu", "cuda", "tensorrt"}

// Options selects where and how a session runs.
type Options struct {
	Device   string // cpu (default), cuda or tensorrt
	DeviceID int    // GPU index for cuda / tensorrt
	Threads  int    // intra-op threads; 0 = one per core (see StageThreads for concurrent sessions)
	// NoSpin sets session.intra_op.allow_spinning=0: the session's worker
	// threads sleep between runs instead of busy-waiting, which costs a
	// little latency but leaves the cores to other sessions that share them.
	NoSpin bool
	// Optimized, if set, is a file to which ONNX Runtime writes the graph it
	// runs after its optimisations (fusions, such as QDQ units into
	// QLinearConv), for inspection.
	Optimized string
}

// StageThreads is the thread policy for sessions that run concurrently, as
// the pipeline's detection and classification stages do: given the
// requested intra-op threads (0 = choose) and the number of cores and of
// concurrent ONNX Runtime stages, it returns the intra-op threads each
// session gets and whether its workers should stop spinning.
//
// With threads 0 the cores are divided among the stages, max(1,
// cores/stages) each, so the stages together never ask for more threads
// than there are cores (one thread per core and session oversubscribed two
// cores and halved the frame rate). An explicit thread count is kept; when
// the stages then ask for more threads than cores, noSpin is set so that
// idle workers sleep instead of busy-waiting on cores another stage needs.
func StageThreads(threads, cores, stages int) (intra int, noSpin bool) {
	if cores < 1 {
		cores = 1
	}
	if stages < 1 {
		stages = 1
	}
	intra = threads
	if intra <= 0 {
		intra = cores / stages
		if intra < 1 {
			intra = 1
		}
	}
	return intra, intra > 1 && intra*stages > cores
}

// Session is an ONNX Runtime session with dynamic shapes and the model's
// input and output descriptions.
type Session struct {
	s       *ort.DynamicAdvancedSession
	Path    string
	Inputs  []ort.InputOutputInfo
	Outputs []ort.InputOutputInfo
}

func sessionOptions(o Options) (*ort.SessionOptions, error) {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	threads := o.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	if err := so.SetIntraOpNumThreads(threads); err != nil {
		so.Destroy()
		return nil, err
	}
	if err := so.SetInterOpNumThreads(1); err != nil {
		so.Destroy()
		return nil, err
	}
	if o.NoSpin {
		if err := so.AddSessionConfigEntry("session.intra_op.allow_spinning", "0"); err != nil {
			so.Destroy()
			return nil, fmt.Errorf("session option allow_spinning: %w", err)
		}
	}
	if o.Optimized != "" {
		if err := so.SetOptimizedModelFilePath(o.Optimized); err != nil {
			so.Destroy()
			return nil, fmt.Errorf("optimized model file %s: %w", o.Optimized, err)
		}
	}
	switch strings.ToLower(o.Device) {
	case "", "cpu":
	case "cuda":
		co, err := ort.NewCUDAProviderOptions()
		if err == nil {
			err = co.Update(map[string]string{"device_id": fmt.Sprint(o.DeviceID)})
			if err == nil {
				err = so.AppendExecutionProviderCUDA(co)
			}
			co.Destroy()
		}
		if err != nil {
			so.Destroy()
			return nil, fmt.Errorf("device cuda: the ONNX Runtime library %s cannot use CUDA (%v); "+
				"install a GPU build of ONNX Runtime with CUDA and cuDNN and pass it with --ort-lib", initPath, err)
		}
	case "tensorrt":
		to, err := ort.NewTensorRTProviderOptions()
		if err == nil {
			err = to.Update(map[string]string{"device_id": fmt.Sprint(o.DeviceID)})
			if err == nil {
				err = so.AppendExecutionProviderTensorRT(to)
			}
			to.Destroy()
		}
		if err != nil {
			so.Destroy()
			return nil, fmt.Errorf("device tensorrt: the ONNX Runtime library %s cannot use TensorRT (%v); "+
				"install a build of ONNX Runtime with TensorRT (JetPack ships one) and pass it with --ort-lib", initPath, err)
		}
	default:
		so.Destroy()
		return nil, fmt.Errorf("device %q: want one of %s", o.Device, strings.Join(Devices, ", "))
	}
	return so, nil
}

// NewSession opens the model file at path. The environment must have been
// initialised with Init or InitDefault.
func NewSession(path string, o Options) (*Session, error) {
	if !ort.IsInitialized() {
		return nil, errors.New("ONNX Runtime is not initialised")
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("model %s: %w", path, err)
	}
	so, err := sessionOptions(o)
	if err != nil {
		return nil, err
	}
	defer so.Destroy()
	ins, outs, err := ort.GetInputOutputInfoWithOptions(path, so)
	if err != nil {
		return nil, fmt.Errorf("model %s: ONNX Runtime cannot load it: %w", path, err)
	}
	in := make([]string, len(ins))
	for i, v := range ins {
		in[i] = v.Name
	}
	out := make([]string, len(outs))
	for i, v := range outs {
		out[i] = v.Name
	}
	s, err := ort.NewDynamicAdvancedSession(path, in, out, so)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", path, err)
	}
	return &Session{s: s, Path: path, Inputs: ins, Outputs: outs}, nil
}

// Run executes the model. outputs may hold nil entries, which ONNX Runtime
// allocates; the caller destroys every returned value.
func (s *Session) Run(inputs, outputs []ort.Value) error {
	if err := s.s.Run(inputs, outputs); err != nil {
		return fmt.Errorf("running %s: %w", filepath.Base(s.Path), err)
	}
	return nil
}

// Close releases the session.
func (s *Session) Close() error {
	if s == nil || s.s == nil {
		return nil
	}
	err := s.s.Destroy()
	s.s = nil
	return err
}
