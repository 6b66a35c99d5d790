package capture

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"

	"gocv.io/x/gocv"
)

// OpenCV's CAP_PROP_ORIENTATION_AUTO (4.5.2 and later); gocv v0.31 has no
// name for it.
const capPropOrientationAuto gocv.VideoCaptureProperties = 49

// identityMatrix is the display matrix of frames shown as decoded.
var identityMatrix = [9]int32{1 << 16, 0, 0, 0, 1 << 16, 0, 0, 0, 1 << 30}

// orientation is what a video's display matrix asks a player to do to every
// decoded frame before showing it: rotate clockwise by Rotate degrees (0,
// 90, 180 or 270), with or without a mirror. Phones record portrait video
// as landscape frames plus such a matrix.
//
// ferlive applies it itself instead of leaving it to OpenCV: OpenCV 4.6.0
// (Debian bookworm's) turns 90 and 270 degree videos the wrong way, so every
// portrait phone video came out upside down and no face was found in it
// (opencv/opencv#22088), and OpenCV before 4.5.2 ignores the matrix.
type orientation struct {
	matrix [9]int32 // the container's 3x3 matrix, a b u c d v x y w
	Rotate int      // clockwise degrees: 0, 90, 180, 270
}

// String describes the orientation, e.g. "rotated 90° clockwise".
func (o orientation) String() string {
	switch {
	case o.Rotate == 0 && o.mirrored():
		return "mirrored"
	case o.Rotate == 0:
		return "upright"
	case o.mirrored():
		return fmt.Sprintf("rotated %d° clockwise, mirrored", o.Rotate)
	}
	return fmt.Sprintf("rotated %d° clockwise", o.Rotate)
}

func (o orientation) mirrored() bool {
	m := o.matrix
	return int64(m[0])*int64(m[4])-int64(m[1])*int64(m[3]) < 0
}

// identity reports whether frames are shown as decoded.
func (o orientation) identity() bool {
	return o.Rotate == 0 && o.matrix[4] >= 0 && o.matrix[0] >= 0
}

// swapsSides reports whether displayed frames are the decoded ones turned on
// their side (width and height exchanged).
func (o orientation) swapsSides() bool { return o.Rotate == 90 || o.Rotate == 270 }

// newOrientation reads the rotation from a 3x3 display matrix (16.16 fixed
// point a, b, c, d) as FFmpeg does (av_display_rotation_get): the clockwise
// angle is atan2(b/|(b,d)|, a/|(a,c)|), snapped to a multiple of 90 degrees
// (other angles are not rotated).
func newOrientation(m [9]int32) orientation {
	s0 := math.Hypot(float64(m[0]), float64(m[3]))
	s1 := math.Hypot(float64(m[1]), float64(m[4]))
	if s0 == 0 || s1 == 0 {
		return orientation{matrix: identityMatrix}
	}
	deg := math.Atan2(float64(m[1])/s1, float64(m[0])/s0) * 180 / math.Pi
	r := int(math.Round(deg/90)) * 90
	if math.Abs(deg-float64(r)) > 1 {
		// not a quarter turn: leave the frames alone rather than guess
		return orientation{matrix: identityMatrix}
	}
	return orientation{matrix: m, Rotate: ((r % 360) + 360) % 360}
}

// apply returns the frame as it is meant to be displayed. It closes src
// when it returns a new Mat.
func (o orientation) apply(src gocv.Mat) gocv.Mat {
	if o.identity() {
		return src
	}
	m := o.matrix
	dst := gocv.NewMat()
	// The cases and flips are those of FFmpeg's autorotate (fftools), so
	// ferlive sees what ffmpeg and players show.
	switch o.Rotate {
	case 90:
		if m[3] > 0 { // rotate clockwise, then mirror: a transpose
			gocv.Transpose(src, &dst)
		} else {
			gocv.Rotate(src, &dst, gocv.Rotate90Clockwise)
		}
	case 270:
		if m[3] < 0 { // rotate counter-clockwise, then mirror
			gocv.Transpose(src, &dst)
			gocv.Flip(dst, &dst, -1)
		} else {
			gocv.Rotate(src, &dst, gocv.Rotate90CounterClockwise)
		}
	default: // 0 or 180: mirror each axis the matrix reverses
		switch h, v := m[0] < 0, m[4] < 0; {
		case h && v:
			gocv.Flip(src, &dst, -1)
		case h:
			gocv.Flip(src, &dst, 1)
		case v:
			gocv.Flip(src, &dst, 0)
		}
	}
	src.Close()
	return dst
}

// containerOrientation reads the display matrix of the first video track
// of an ISO base media file (.mp4, .mov, .m4v, .3gp: what phones and most
// cameras write). Other containers, files without a video track and
// damaged box structures yield the identity: the frames are then used as
// decoded, which is also what every other reader of such a file does.
func containerOrientation(path string) (orientation, error) {
	up := orientation{matrix: identityMatrix}
	f, err := os.Open(path)
	if err != nil {
		return up, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return up, err
	}
	return readOrientation(f, st.Size()), nil
}

// readOrientation reads the display matrix of the first video track from
// the size bytes of an ISO base media file in r; the identity when there is
// none or the boxes are damaged.
func readOrientation(r io.ReaderAt, size int64) orientation {
	up := orientation{matrix: identityMatrix}
	f := r
	moov, ok := findBox(f, 0, size, "moov")
	if !ok {
		return up
	}
	for off := moov.body; ; {
		trak, ok := findBox(f, off, moov.end, "trak")
		if !ok {
			return up
		}
		off = trak.end
		if !isVideoTrack(f, trak) {
			continue
		}
		tkhd, ok := findBox(f, trak.body, trak.end, "tkhd")
		if !ok {
			return up
		}
		m, ok := tkhdMatrix(f, tkhd)
		if !ok {
			return up
		}
		return newOrientation(m)
	}
}

// box is one ISO-BMFF box: its payload runs from body to end.
type box struct{ body, end int64 }

// findBox returns the first box of type typ among the boxes that fill
// [off, end) of r. Sizes are checked against the parent, so a damaged file
// ends the search instead of sending it astray.
func findBox(r io.ReaderAt, off, end int64, typ string) (box, bool) {
	var h [16]byte
	for off+8 <= end {
		if _, err := r.ReadAt(h[:8], off); err != nil {
			return box{}, false
		}
		size, hdr := int64(binary.BigEndian.Uint32(h[:4])), int64(8)
		switch size {
		case 0: // extends to the end of its parent
			size = end - off
		case 1: // 64-bit size follows the type
			if _, err := r.ReadAt(h[8:16], off+8); err != nil {
				return box{}, false
			}
			size, hdr = int64(binary.BigEndian.Uint64(h[8:16])), 16
		}
		if size < hdr || size > end-off {
			return box{}, false
		}
		if string(h[4:8]) == typ {
			return box{body: off + hdr, end: off + size}, true
		}
		off += size
	}
	return box{}, false
}

// isVideoTrack reports whether trak's media handler is 'vide'.
func isVideoTrack(r io.ReaderAt, trak box) bool {
	mdia, ok := findBox(r, trak.body, trak.end, "mdia")
	if !ok {
		return false
	}
	hdlr, ok := findBox(r, mdia.body, mdia.end, "hdlr")
	if !ok || hdlr.end-hdlr.body < 12 {
		return false
	}
	var b [4]byte
	if _, err := r.ReadAt(b[:], hdlr.body+8); err != nil { // version+flags, pre_defined
		return false
	}
	return string(b[:]) == "vide"
}

// tkhdMatrix reads the 3x3 matrix of a track header (version 0 or 1).
func tkhdMatrix(r io.ReaderAt, tkhd box) ([9]int32, bool) {
	var m [9]int32
	var v [1]byte
	if _, err := r.ReadAt(v[:], tkhd.body); err != nil {
		return m, false
	}
	// version+flags, times, track id, reserved, duration, reserved[2],
	// layer, alternate group, volume, reserved: then the matrix.
	off := tkhd.body + 4 + 20 + 16
	if v[0] == 1 {
		off = tkhd.body + 4 + 32 + 16
	}
	var b [36]byte
	if off+36 > tkhd.end {
		return m, false
	}
	if _, err := r.ReadAt(b[:], off); err != nil {
		return m, false
	}
	for i := range m {
		m[i] = int32(binary.BigEndian.Uint32(b[4*i:]))
	}
	return m, true
}

// Rotate returns src with every frame turned clockwise by deg degrees (0,
// 90, 180 or 270), after any turn the source applies itself: for a camera
// mounted on its side (a kiosk's portrait screen) or a video whose display
// matrix is missing. Info gives the turned size; DropCounter is kept.
func Rotate(src Source, deg int) (Source, error) {
	var m [9]int32
	switch deg {
	case 0:
		return src, nil
	case 90:
		m = [9]int32{0, 1 << 16, 0, -1 << 16, 0, 0, 0, 0, 1 << 30}
	case 180:
		m = [9]int32{-1 << 16, 0, 0, 0, -1 << 16, 0, 0, 0, 1 << 30}
	case 270:
		m = [9]int32{0, -1 << 16, 0, 1 << 16, 0, 0, 0, 0, 1 << 30}
	default:
		return nil, fmt.Errorf("rotation %d: want 0, 90, 180 or 270 (degrees clockwise)", deg)
	}
	return &turned{Source: src, o: newOrientation(m)}, nil
}

// turned applies an orientation to the frames of a source: a video's display
// matrix (OpenVideo) or a requested turn (Rotate).
type turned struct {
	Source
	o orientation
}

// Next returns the next frame, turned.
func (t *turned) Next(ctx context.Context) (Frame, error) {
	f, err := t.Source.Next(ctx)
	if err != nil {
		return f, err
	}
	f.Mat = t.o.apply(f.Mat)
	return f, nil
}

// Info describes the turned frames.
func (t *turned) Info() Info {
	info := t.Source.Info()
	if t.o.swapsSides() {
		info.Width, info.Height = info.Height, info.Width
	}
	if info.Orientation != "" {
		info.Orientation += ", then " + t.o.String()
	} else {
		info.Orientation = t.o.String()
	}
	return info
}

// Health forwards the source's health counts (live sources; zero otherwise).
func (t *turned) Health() Health {
	if h, ok := t.Source.(HealthReporter); ok {
		return h.Health()
	}
	return Health{}
}

// Dropped forwards the source's count of dropped frames (live sources).
func (t *turned) Dropped() int {
	if d, ok := t.Source.(DropCounter); ok {
		return d.Dropped()
	}
	return 0
}
