// Package mp4matrix writes display matrices into MP4 files, to make test
// videos that look like portrait phone recordings.
package mp4matrix

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
)

// Set rewrites the display matrix of the first track header
// (tkhd, version 0) of an MP4 file in place to a, b, c, d (integers, stored
// as 16.16 fixed point), as a phone does for a portrait recording: 0, 1,
// -1, 0 asks players to turn every frame 90 degrees clockwise. It finds the
// box by its name, independently of ferlive's own container reader.
func Set(path string, a, b, c, d int32) error {
	buf, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	i := bytes.Index(buf, []byte("tkhd"))
	const matrixAt = 4 + 4 + 20 + 16 // box type, version+flags, times/ids/duration, reserved/layer/volume
	if i < 0 || buf[i+4] != 0 || i+matrixAt+36 > len(buf) {
		return fmt.Errorf("%s: no version-0 track header to hold a display matrix", path)
	}
	m := buf[i+matrixAt:]
	for k, v := range []int32{a << 16, b << 16, 0, c << 16, d << 16, 0, 0, 0, 1 << 30} {
		binary.BigEndian.PutUint32(m[4*k:], uint32(v))
	}
	return os.WriteFile(path, buf, 0o644)
}
