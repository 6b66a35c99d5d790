package capture

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

// BenchmarkDecode640x360 measures decoding one 640x360 frame of an H.264
// (avc1) and an MPEG-4 (mp4v) file written by VideoWriter, in ms/frame
// (opening the file is not timed).
func BenchmarkDecode640x360(b *testing.B) {
	for _, c := range []struct{ name, fourcc string }{{"h264", "avc1"}, {"mp4v", "mp4v"}} {
		b.Run(c.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "bench.mp4")
			vw, err := NewVideoWriterCodec(path, c.fourcc, 25, 640, 360)
			if err != nil {
				b.Skip(err)
			}
			m := gocv.NewMatWithSize(360, 640, gocv.MatTypeCV8UC3)
			noise := gocv.NewMatWithSize(360, 640, gocv.MatTypeCV8UC3)
			for i := 0; i < 50; i++ {
				// Camera-like content: the index pattern plus sensor noise,
				// so the encoder cannot reduce frames to flat blocks.
				drawIndexFrame(&m, i)
				gocv.RandN(&noise, gocv.NewScalar(0, 0, 0, 0), gocv.NewScalar(6, 6, 6, 0))
				gocv.Add(m, noise, &m)
				if err := vw.Write(m); err != nil {
					b.Fatal(err)
				}
			}
			m.Close()
			noise.Close()
			if err := vw.Close(); err != nil {
				b.Fatal(err)
			}
			var src Source
			defer func() {
				if src != nil {
					src.Close()
				}
			}()
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if src == nil {
					b.StopTimer()
					if src, err = OpenVideo(path); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				f, err := src.Next(ctx)
				if errors.Is(err, io.EOF) {
					b.StopTimer()
					src.Close()
					src = nil
					i--
					b.StartTimer()
					continue
				}
				if err != nil {
					b.Fatal(err)
				}
				f.Mat.Close()
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed())/float64(time.Millisecond)/float64(b.N), "ms/frame")
		})
	}
}
