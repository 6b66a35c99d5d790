package capture

import (
	"bytes"
	"io"
	"os"
	"unicode/utf8"
)

// sniffContainer names the container format from the first bytes of a file
// ("MP4/QuickTime", "AVI", "Matroska/WebM", …), "text" for a text file, or ""
// when it is not recognised. It only serves error messages.
func sniffContainer(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b := make([]byte, 512)
	n, _ := io.ReadFull(f, b)
	b = b[:n]
	switch {
	case len(b) >= 12 && (bytes.Equal(b[4:8], []byte("ftyp")) || bytes.Equal(b[4:8], []byte("moov")) ||
		bytes.Equal(b[4:8], []byte("mdat")) || bytes.Equal(b[4:8], []byte("wide")) || bytes.Equal(b[4:8], []byte("free"))):
		return "MP4/QuickTime"
	case len(b) >= 12 && bytes.Equal(b[:4], []byte("RIFF")) && bytes.Equal(b[8:12], []byte("AVI ")):
		return "AVI"
	case bytes.HasPrefix(b, []byte{0x1a, 0x45, 0xdf, 0xa3}):
		return "Matroska/WebM"
	case bytes.HasPrefix(b, []byte{0, 0, 1, 0xba}), bytes.HasPrefix(b, []byte{0, 0, 1, 0xb3}):
		return "MPEG-PS"
	case len(b) >= 189 && b[0] == 0x47 && b[188] == 0x47:
		return "MPEG-TS"
	case bytes.HasPrefix(b, []byte("FLV")):
		return "FLV"
	case bytes.HasPrefix(b, []byte("OggS")):
		return "Ogg"
	case bytes.HasPrefix(b, []byte("GIF8")):
		return "GIF"
	case bytes.HasPrefix(b, []byte{0, 0, 0, 1}), bytes.HasPrefix(b, []byte{0, 0, 1}):
		return "raw H.264/H.265/MPEG stream"
	case len(b) > 0 && utf8.Valid(b) && bytes.IndexByte(b, 0) < 0:
		return "text"
	}
	return ""
}

// openHint explains, from the sniffed container, why a video did not open.
func openHint(container string) string {
	switch container {
	case "":
		return "not a video container OpenCV/FFmpeg recognises"
	case "text":
		return "it is a text file, not a video"
	case "MP4/QuickTime":
		return "MP4/QuickTime file that is truncated or unfinished (no index: was the writer closed?), damaged, or in a codec this FFmpeg cannot decode"
	default:
		return container + " file that is truncated, damaged, or in a codec this FFmpeg cannot decode"
	}
}
