// Command opprofile times a classifier's ONNX Runtime operators with ONNX
// Runtime's own profiler: for each model and batch size it runs the model
// -runs times (after -warmup runs) on random faces, reads the profile
// ONNX Runtime writes, and prints a Markdown table of the time per call
// spent in each operator type, with the models side by side (a float32
// model and its int8 copy: which operators keep int8 from being faster).
//
//	go run ./bench/opprofile -models a.onnx,a-int8.onnx [-batches 1,8] [-runs 50] [-threads 1]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	ort "github.com/yalue/onnxruntime_go"

	iort "github.com/ferlive/ferlive/internal/ort"
)

func main() {
	models := flag.String("models", "", "comma-separated ONNX models (required)")
	batches := flag.String("batches", "1,8", "comma-separated batch sizes")
	runs := flag.Int("runs", 50, "profiled runs per model and batch")
	warmup := flag.Int("warmup", 5, "runs before profiling starts (not profiled: a separate session)")
	threads := flag.Int("threads", 1, "intra-op threads")
	lib := flag.String("ort-lib", "", "ONNX Runtime library (default: $FERLIVE_ORT_LIB, .deps)")
	flag.Parse()
	if *models == "" {
		fmt.Fprintln(os.Stderr, "opprofile: -models is required")
		os.Exit(2)
	}
	if err := iort.InitDefault(*lib, ""); err != nil {
		fail(err)
	}
	dir, err := os.MkdirTemp("", "opprofile-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	paths := strings.Split(*models, ",")
	for _, bs := range strings.Split(*batches, ",") {
		n, err := strconv.Atoi(bs)
		if err != nil || n < 1 {
			fail(fmt.Errorf("batch %q: want a positive integer", bs))
		}
		prof := make([]map[string]float64, len(paths))
		totals := make([]float64, len(paths))
		for i, p := range paths {
			if prof[i], totals[i], err = profile(p, n, *runs, *warmup, *threads, filepath.Join(dir, fmt.Sprint(i, "-", n))); err != nil {
				fail(err)
			}
		}
		print(paths, n, *runs, *threads, prof, totals)
	}
}

// profile returns the mean microseconds per run spent in each operator
// type of model at batch n, and their sum.
func profile(model string, n, runs, warmup, threads int, prefix string) (map[string]float64, float64, error) {
	ins, outs, err := ort.GetInputOutputInfo(model)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", model, err)
	}
	shape := append(ort.Shape(nil), ins[0].Dimensions...)
	shape[0] = int64(n)
	x := make([]float32, shape.FlattenedSize())
	rng := rand.New(rand.NewSource(1))
	for i := range x {
		x[i] = rng.Float32()*2 - 1
	}
	in, err := ort.NewTensor(shape, x)
	if err != nil {
		return nil, 0, err
	}
	defer in.Destroy()
	run := func(profilePrefix string, k int) error {
		so, err := ort.NewSessionOptions()
		if err != nil {
			return err
		}
		defer so.Destroy()
		if err := so.SetIntraOpNumThreads(threads); err != nil {
			return err
		}
		if err := so.SetInterOpNumThreads(1); err != nil {
			return err
		}
		if profilePrefix != "" {
			if err := so.EnableProfiling(profilePrefix); err != nil {
				return fmt.Errorf("enabling profiling: %w", err)
			}
		}
		s, err := ort.NewDynamicAdvancedSession(model, []string{ins[0].Name}, []string{outs[0].Name}, so)
		if err != nil {
			return fmt.Errorf("%s: %w", model, err)
		}
		defer s.Destroy() // writes the profile
		for i := 0; i < k; i++ {
			out := []ort.Value{nil}
			if err := s.Run([]ort.Value{in}, out); err != nil {
				return fmt.Errorf("%s: %w", model, err)
			}
			out[0].Destroy()
		}
		return nil
	}
	if err := run("", warmup); err != nil {
		return nil, 0, err
	}
	if err := run(prefix, runs); err != nil {
		return nil, 0, err
	}
	files, _ := filepath.Glob(prefix + "*.json")
	if len(files) != 1 {
		return nil, 0, fmt.Errorf("%s: ONNX Runtime wrote %d profiles for prefix %s, want 1", model, len(files), prefix)
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		return nil, 0, err
	}
	var events []struct {
		Cat  string  `json:"cat"`
		Name string  `json:"name"`
		Dur  float64 `json:"dur"`
		Args struct {
			OpName string `json:"op_name"`
		} `json:"args"`
	}
	if err := json.Unmarshal(raw, &events); err != nil {
		return nil, 0, fmt.Errorf("profile %s: %w", files[0], err)
	}
	per := map[string]float64{}
	var total float64
	for _, e := range events {
		if e.Cat != "Node" || !strings.HasSuffix(e.Name, "_kernel_time") {
			continue
		}
		per[e.Args.OpName] += e.Dur / float64(runs)
		total += e.Dur / float64(runs)
	}
	return per, total, nil
}

func print(paths []string, n, runs, threads int, prof []map[string]float64, totals []float64) {
	ops := map[string]float64{}
	for _, p := range prof {
		for op, us := range p {
			ops[op] = max(ops[op], us)
		}
	}
	names := make([]string, 0, len(ops))
	for op := range ops {
		names = append(names, op)
	}
	sort.Slice(names, func(i, j int) bool { return ops[names[i]] > ops[names[j]] })
	fmt.Printf("\nBatch %d: ms per call in each operator type (ONNX Runtime profiler, %d runs, %d intra-op thread(s))\n\n| operator |", n, runs, threads)
	for _, p := range paths {
		fmt.Printf(" %s |", strings.TrimSuffix(filepath.Base(p), ".onnx"))
	}
	fmt.Printf("\n|---|%s\n", strings.Repeat("---:|", len(paths)))
	for _, op := range names {
		fmt.Printf("| %s |", op)
		for _, p := range prof {
			if us, ok := p[op]; ok {
				fmt.Printf(" %.3f |", us/1000)
			} else {
				fmt.Print(" |")
			}
		}
		fmt.Println()
	}
	fmt.Print("| all operators |")
	for _, t := range totals {
		fmt.Printf(" **%.3f** |", t/1000)
	}
	fmt.Println()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "opprofile:", err)
	os.Exit(1)
}
