package data

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"gocv.io/x/gocv"
)

// withOrientation inserts an EXIF block with orientation o (byte order bo)
// right after a JPEG's start-of-image marker, as a phone writes it.
func withOrientation(t *testing.T, j []byte, o uint16, bo binary.ByteOrder) []byte {
	t.Helper()
	tiff := make([]byte, 8+2+12+4)
	if bo == binary.LittleEndian {
		copy(tiff, "II")
	} else {
		copy(tiff, "MM")
	}
	bo.PutUint16(tiff[2:], 42)
	bo.PutUint32(tiff[4:], 8)
	bo.PutUint16(tiff[8:], 1)       // one entry
	bo.PutUint16(tiff[10:], 0x0112) // Orientation
	bo.PutUint16(tiff[12:], 3)      // SHORT
	bo.PutUint32(tiff[14:], 1)      // count
	bo.PutUint16(tiff[18:], o)      // value
	app1 := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(app1)+2))
	out := append([]byte{}, j[:2]...)
	out = append(out, seg...)
	out = append(out, app1...)
	return append(out, j[2:]...)
}

// TestDecodeFollowsEXIFOrientation: the trainer sees a phone photo the way
// ferlive's runtime and eval (OpenCV's imread) do, for all eight EXIF
// orientations and both byte orders.
func TestDecodeFollowsEXIFOrientation(t *testing.T) {
	const w, h = 48, 32
	src := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint8(40 + 3*x) // brighter to the right
			if x < w/3 && y < h/2 {
				v = 250 // a bright block top left
			}
			src.Set(x, y, color.RGBA{v, v, v, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	for _, bo := range []binary.ByteOrder{binary.BigEndian, binary.LittleEndian} {
		for o := uint16(1); o <= 8; o++ {
			b := withOrientation(t, buf.Bytes(), o, bo)
			if got := jpegOrientation(b); got != int(o) {
				t.Fatalf("%v orientation %d read as %d", bo, o, got)
			}
			g, gw, gh, err := decodeUpright(b)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := gocv.IMDecode(b, gocv.IMReadColor)
			if err != nil {
				t.Fatal(err)
			}
			gray := gocv.NewMat()
			gocv.CvtColor(ref, &gray, gocv.ColorBGRToGray)
			ref.Close()
			ow, oh, ob := gray.Cols(), gray.Rows(), gray.ToBytes()
			gray.Close()
			if gw != ow || gh != oh {
				t.Fatalf("%v orientation %d: %dx%d, OpenCV shows %dx%d", bo, o, gw, gh, ow, oh)
			}
			var diff float64
			for i := range g {
				d := float64(g[i]) - float64(ob[i])
				if d < 0 {
					d = -d
				}
				diff += d
			}
			if diff /= float64(len(g)); diff > 3 {
				t.Errorf("%v orientation %d: differs from OpenCV's picture by %.1f grey levels on average", bo, o, diff)
			}
		}
	}
	if got := jpegOrientation([]byte("not a jpeg")); got != 1 {
		t.Errorf("non-JPEG orientation %d, want 1", got)
	}
	cut := withOrientation(t, buf.Bytes(), 6, binary.BigEndian)[:30]
	if got := jpegOrientation(cut); got != 1 {
		t.Errorf("truncated EXIF orientation %d, want 1", got)
	}
}
