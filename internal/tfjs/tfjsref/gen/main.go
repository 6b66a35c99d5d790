// Command gen writes the inputs of the TensorFlow.js reference cases
// (internal/tfjs/tfjsref) and the cases.json that bench/tfjs/reference.js
// reads:
//
//	go run ./internal/tfjs/tfjsref/gen -data ../shared/data -out DIR
//	node bench/tfjs/reference.js DIR/cases.json ../shared/models > internal/tfjs/tfjsref/reference.json
//
// `make tfjs-reference` runs both.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferlive/ferlive/internal/tfjs/tfjsref"
)

type output struct {
	Node string `json:"node"`
	Key  string `json:"key,omitempty"`
	Pool bool   `json:"pool,omitempty"`
	Rows string `json:"rows,omitempty"`
}

type jsCase struct {
	Name    string   `json:"name"`
	Model   string   `json:"model"`
	Input   string   `json:"input"`
	SHA256  string   `json:"sha256"`
	Shape   []int    `json:"shape"`
	Outputs []output `json:"outputs"`
}

func main() {
	data := flag.String("data", os.Getenv("FERLIVE_DATA"), "shared data folder (holds photos/)")
	out := flag.String("out", "", "folder for cases.json and the input files")
	flag.Parse()
	if *data == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: gen -data ../shared/data -out DIR")
		os.Exit(2)
	}
	if err := run(*data, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(data, out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var cases []jsCase
	for _, c := range tfjsref.Defined() {
		px, err := c.Pixels(data)
		if err != nil {
			return err
		}
		in := c.Input(px)
		file := strings.ReplaceAll(c.Name, "/", "_") + ".f32"
		if err := os.WriteFile(filepath.Join(out, file), tfjsref.Bytes(in), 0o644); err != nil {
			return err
		}
		jc := jsCase{Name: c.Name, Model: c.Model, Input: file, SHA256: tfjsref.Checksum(in), Shape: []int{1, c.Size, c.Size, 3}}
		if strings.HasPrefix(c.Name, "faceres/") {
			jc.Outputs = []output{{Node: tfjsref.Descriptor}, {Node: tfjsref.Gender}, {Node: tfjsref.Age},
				{Node: tfjsref.PW11Node, Key: tfjsref.PoolPW11, Pool: true}}
		} else {
			jc.Outputs = []output{{Node: "Identity"}, {Node: "Identity_1"},
				{Node: "Identity_2", Rows: "top8+every8"}, {Node: "Identity_3", Rows: "top8+every8"}}
		}
		cases = append(cases, jc)
	}
	b, err := json.MarshalIndent(cases, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "cases.json"), b, 0o644)
}
