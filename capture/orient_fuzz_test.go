package capture

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// mp4Box returns an ISO-BMFF box of type typ around body.
func mp4Box(typ string, body ...[]byte) []byte {
	b := bytes.Join(body, nil)
	out := binary.BigEndian.AppendUint32(nil, uint32(8+len(b)))
	return append(append(out, typ...), b...)
}

// mp4WithMatrix returns the boxes of an MP4 whose video track header
// (version 0) carries the display matrix m; what players read to turn a
// phone's portrait video.
func mp4WithMatrix(m [9]int32) []byte {
	tkhd := make([]byte, 4+20+16+36+8)
	for i, v := range m {
		binary.BigEndian.PutUint32(tkhd[4+20+16+4*i:], uint32(v))
	}
	hdlr := append(make([]byte, 8), "vide"...)
	hdlr = append(hdlr, make([]byte, 13)...)
	trak := mp4Box("trak", mp4Box("tkhd", tkhd), mp4Box("mdia", mp4Box("hdlr", hdlr)))
	return append(mp4Box("ftyp", []byte("isom\x00\x00\x02\x00")), mp4Box("moov", trak)...)
}

// FuzzContainerOrientation feeds arbitrary bytes to the MP4 display-matrix
// reader that every video a user hands in goes through: no panic, no
// endless walk, and the result is always a quarter turn.
func FuzzContainerOrientation(f *testing.F) {
	f.Add(mp4WithMatrix(identityMatrix))
	f.Add(mp4WithMatrix([9]int32{0, 1 << 16, 0, -1 << 16, 0, 0, 0, 0, 1 << 30}))
	f.Add(mp4WithMatrix([9]int32{-1 << 16, 0, 0, 0, 1 << 16, 0, 0, 0, 1 << 30}))
	f.Add(mp4WithMatrix([9]int32{1 << 31 >> 1, -1 << 31, 7, 9, -1, 3, 0, 0, 0}))
	large := mp4WithMatrix([9]int32{0, -1 << 16, 0, 1 << 16, 0, 0, 0, 0, 1 << 30})
	large[3] = 1 // a 64-bit size box
	f.Add(large)
	f.Add([]byte{0, 0, 0, 0, 'm', 'o', 'o', 'v'})
	f.Fuzz(func(t *testing.T, b []byte) {
		o := readOrientation(bytes.NewReader(b), int64(len(b)))
		switch o.Rotate {
		case 0, 90, 180, 270:
		default:
			t.Fatalf("rotation %d", o.Rotate)
		}
		_ = o.String()
		_ = o.identity()
	})
}
