package tfjs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// skeletonManifest cuts a real model.json down to its first nodes and
// the weights of its first maxBytes of shard, returning the document and
// that shard prefix: a seed of a few kilobytes with the real format.
func skeletonManifest(jsonPath string, maxNodes, maxBytes int) (js, shard []byte, ok bool) {
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		return nil, nil, false
	}
	var doc map[string]any
	if json.Unmarshal(raw, &doc) != nil {
		return nil, nil, false
	}
	var mj modelJSON
	if json.Unmarshal(raw, &mj) != nil || mj.ModelTopology == nil || len(mj.WeightsManifest) == 0 {
		return nil, nil, false
	}
	if topo, ok := doc["modelTopology"].(map[string]any); ok {
		if nodes, ok := topo["node"].([]any); ok && len(nodes) > maxNodes {
			topo["node"] = nodes[:maxNodes]
		}
	}
	g := mj.WeightsManifest[0]
	var keep []manifestEntry
	size := 0
	for _, w := range g.Weights {
		n := 1
		for _, d := range w.Shape {
			n *= d
		}
		width := 4
		if q := w.Quantization; q != nil {
			width = map[string]int{"uint8": 1, "uint16": 2, "float16": 2}[q.DType]
		} else if w.DType == "bool" {
			width = 1
		}
		if size+n*width > maxBytes {
			break
		}
		keep = append(keep, w)
		size += n * width
	}
	bin, err := os.ReadFile(filepath.Join(filepath.Dir(jsonPath), g.Paths[0]))
	if err != nil || len(bin) < size {
		return nil, nil, false
	}
	doc["weightsManifest"] = []any{map[string]any{"paths": []string{"w.bin"}, "weights": keep}}
	js, err = json.Marshal(doc)
	return js, bin[:size], err == nil
}

// FuzzParse feeds arbitrary model.json documents and weight shards to the
// TensorFlow.js reader. No panic, and no allocation beyond what the input
// holds: every decoded tensor has exactly the elements its shape claims,
// and all of them together take no more elements than the shard has
// bytes (a manifest claiming a 2 GB tensor backed by 1 kB fails).
func FuzzParse(f *testing.F) {
	small := `{"format":"graph-model","modelTopology":{"node":[{"name":"x","op":"Placeholder"}]},
"weightsManifest":[{"paths":["w.bin"],"weights":[
{"name":"a","shape":[2,2],"dtype":"float32"},
{"name":"q","shape":[4],"dtype":"float32","quantization":{"dtype":"uint8","min":-1,"scale":0.01}},
{"name":"h","shape":[2],"dtype":"float32","quantization":{"dtype":"float16"}},
{"name":"i","shape":[1],"dtype":"int32"},{"name":"b","shape":[3],"dtype":"bool"}]}]}`
	f.Add([]byte(small), make([]byte, 16+4+4+4+3))
	huge := `{"format":"graph-model","modelTopology":{"node":[{"name":"x","op":"Const"}]},
"weightsManifest":[{"paths":["w.bin"],"weights":[{"name":"big","shape":[536870912,4],"dtype":"float32"}]}]}`
	f.Add([]byte(huge), make([]byte, 1024))
	twice := `{"format":"graph-model","modelTopology":{"node":[{"name":"x","op":"Const"}]},
"weightsManifest":[{"paths":["w.bin","w.bin"],"weights":[{"name":"a","shape":[512],"dtype":"float32"}]}]}`
	f.Add([]byte(twice), make([]byte, 1024))
	if d := os.Getenv("FERLIVE_MODELS"); d != "" {
		for _, p := range []string{"blazeface/blazeface.json", "faceres/faceres.json"} {
			if js, bin, ok := skeletonManifest(filepath.Join(d, p), 12, 4096); ok {
				f.Add(js, bin)
			}
		}
	}
	f.Fuzz(func(t *testing.T, js, shard []byte) {
		paths := 0
		m, err := Parse(js, func(string) ([]byte, error) {
			paths++
			return shard, nil
		})
		if err != nil {
			return
		}
		total := 0
		for name, w := range m.Weights {
			n := w.Numel()
			if len(w.F)+len(w.I) != n {
				t.Fatalf("weight %q: %d values for shape %v", name, len(w.F)+len(w.I), w.Shape)
			}
			total += n
		}
		if total > paths*len(shard) {
			t.Fatalf("%d elements decoded from %d shard bytes", total, paths*len(shard))
		}
	})
}

// TestHugeTensorClaim: a 1 kB shard behind a manifest that claims a 2 GB
// float32 tensor, or one shard listed twice, fails cleanly.
func TestHugeTensorClaim(t *testing.T) {
	for name, js := range map[string]string{
		"2GB": `{"format":"graph-model","modelTopology":{"node":[{"name":"x","op":"Const"}]},
"weightsManifest":[{"paths":["w.bin"],"weights":[{"name":"big","shape":[536870912],"dtype":"float32"}]}]}`,
		"overflow": `{"format":"graph-model","modelTopology":{"node":[{"name":"x","op":"Const"}]},
"weightsManifest":[{"paths":["w.bin"],"weights":[{"name":"big","shape":[4611686018427387904,4],"dtype":"float32"}]}]}`,
		"twice": `{"format":"graph-model","modelTopology":{"node":[{"name":"x","op":"Const"}]},
"weightsManifest":[{"paths":["w.bin","w.bin"],"weights":[{"name":"a","shape":[512],"dtype":"float32"}]}]}`,
	} {
		_, err := Parse([]byte(js), func(string) ([]byte, error) { return make([]byte, 1024), nil })
		if err == nil {
			t.Errorf("%s: parsed without error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
