package facedetect

import (
	"fmt"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

// BenchmarkDetect times each detector with its default options on
// obama-720p.jpg at 640x360 and 1280x720, reporting ms/op and the faces
// found. "yunet" is the dynamic model (input 320x192 for these frames),
// "yunet640" the fixed 640x640 one. Keep -benchtime small on shared machines,
// e.g. -bench Detect -benchtime 20x.
//
// Measured on the 2-core development machine while other jobs ran (load
// 2-3, so the ranges of two runs), -benchtime 20x, ms per frame; every
// detector found the one face in every run:
//
//	              640x360     1280x720
//	haar          38-40       40-46      (detection copy 480x270)
//	yunet          5.0-8.4     6.8-9.0   (dynamic model, input 320x192)
//	yunet640      23-26       23-26      (fixed 640x640 input)
//	ultraface     15-21       20-25      (fixed 320x240 input)
//
// BenchmarkMaxSide, 1280x720: haar 17-18 / 39-41 / 58-61 ms at MaxSide
// 320 / 480 / 640; dynamic yunet 4.5-6.6 / 11.6-15.6 / 13.6-18.8 ms.
func BenchmarkDetect(b *testing.B) {
	src := readPhoto(b, "obama-720p.jpg")
	for _, c := range detectorCases {
		b.Run(c.name, func(b *testing.B) {
			d := newDetector(b, c, Options{})
			for _, sz := range [][2]int{{640, 360}, {1280, 720}} {
				frame := src
				if sz[0] != src.Cols() || sz[1] != src.Rows() {
					frame = resized(b, src, sz[0], sz[1])
				}
				b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) { benchDetect(b, d, frame) })
			}
		})
	}
}

// benchDetect times d on frame and reports ms/op and the faces found.
func benchDetect(b *testing.B, d Detector, frame gocv.Mat) {
	if _, err := d.Detect(frame); err != nil { // warm-up
		b.Fatal(err)
	}
	n := 0
	fastest := time.Duration(1<<63 - 1)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		fs, err := d.Detect(frame)
		if err != nil {
			b.Fatal(err)
		}
		fastest = min(fastest, time.Since(t0))
		n = len(fs)
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/op")
	// The fastest call is what a frame costs when nothing else runs: the
	// figure to compare on a shared, loaded machine.
	b.ReportMetric(float64(fastest.Microseconds())/1000, "min-ms")
	b.ReportMetric(float64(n), "faces")
}

// BenchmarkMaxSide times Haar and dynamic YuNet at several MaxSide values on
// the 1280x720 frame: the measurements behind HaarMaxSide and YuNetMaxSide.
func BenchmarkMaxSide(b *testing.B) {
	frame := readPhoto(b, "obama-720p.jpg")
	for _, c := range detectorCases[:2] {
		for _, ms := range []int{320, 480, 640} {
			b.Run(fmt.Sprintf("%s/%d", c.name, ms), func(b *testing.B) {
				d := newDetector(b, c, Options{MaxSide: ms})
				benchDetect(b, d, frame)
			})
		}
	}
}
