// Command clip writes a benchmark clip synthesised from the shared photos
// (testkit/synth): the 640x360 4-face scene that `make bench-peer` gives
// both ferlive and the peer, or another size, face count or scene.
//
//	go run ./bench/clip -out /tmp/bench.mp4 [-width 640 -height 360 -faces 4 -frames 300] [-scene bench|laughing|crowd]
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ferlive/ferlive/testkit/synth"
)

func main() {
	data := os.Getenv("FERLIVE_DATA")
	if data == "" {
		data = "../shared/data"
	}
	out := flag.String("out", "", "output video (.mp4, .avi)")
	width := flag.Int("width", 640, "frame width")
	height := flag.Int("height", 360, "frame height")
	faces := flag.Int("faces", 4, "faces in the bench scene (1 or 4)")
	frames := flag.Int("frames", 300, "frames")
	scene := flag.String("scene", "bench", "bench, laughing (five laughing faces in dim light) or crowd (nine faces)")
	photos := flag.String("photos", filepath.Join(data, "photos"), "folder of the shared photos")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "clip: -out is required")
		os.Exit(2)
	}
	var (
		spec synth.Spec
		fs   []synth.Face
	)
	switch *scene {
	case "bench":
		spec, fs = synth.Bench(*width, *height, *faces, *frames), synth.PhotoFaces(*photos)
	case "laughing":
		spec, fs = synth.Laughing(*frames), synth.LaughingFaces(*photos)
	case "crowd":
		spec, fs = synth.Crowd(*width, *height, *frames), synth.CrowdFaces(*photos)
	default:
		fmt.Fprintf(os.Stderr, "clip: -scene %q: want bench, laughing or crowd\n", *scene)
		os.Exit(2)
	}
	if _, err := synth.Write(*out, spec, fs); err != nil {
		fmt.Fprintf(os.Stderr, "clip: %v\n", err)
		os.Exit(1)
	}
}
