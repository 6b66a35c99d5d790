package overlay

import (
	"fmt"

	"github.com/golang/freetype/truetype"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
)

// fontID names one of the Go fonts the overlay uses.
type fontID uint8

const (
	fontRegular fontID = iota
	fontBold
	fontMono
	numFonts
)

// fontSet holds the parsed Go fonts and the faces made from them, one per
// font and pixel size. Faces are not safe for concurrent use; the Renderer
// serialises access.
type fontSet struct {
	fonts [numFonts]*truetype.Font
	faces map[faceKey]font.Face
	caps  map[faceKey]int
}

type faceKey struct {
	font fontID
	px   int
}

func newFontSet() (*fontSet, error) {
	fs := &fontSet{faces: make(map[faceKey]font.Face), caps: make(map[faceKey]int)}
	for id, ttf := range [numFonts][]byte{goregular.TTF, gobold.TTF, gomono.TTF} {
		f, err := truetype.Parse(ttf)
		if err != nil {
			return nil, fmt.Errorf("overlay: parse Go font %d: %w", id, err)
		}
		fs.fonts[id] = f
	}
	return fs, nil
}

// face returns the face of font id at px pixels (em size), creating it on
// first use. Hinting snaps glyph outlines to the pixel grid vertically, which
// keeps small text crisp.
func (fs *fontSet) face(id fontID, px int) font.Face {
	k := faceKey{id, px}
	if f, ok := fs.faces[k]; ok {
		return f
	}
	f := truetype.NewFace(fs.fonts[id], &truetype.Options{Size: float64(px), DPI: 72, Hinting: font.HintingFull})
	fs.faces[k] = f
	return f
}

// close releases every face.
func (fs *fontSet) close() {
	for k, f := range fs.faces {
		f.Close()
		delete(fs.faces, k)
	}
	clear(fs.caps)
}

// capHeight is the height in pixels of a capital letter of font id at px,
// used to centre text vertically in pills and rows.
func (fs *fontSet) capHeight(id fontID, px int) int {
	k := faceKey{id, px}
	if c, ok := fs.caps[k]; ok {
		return c
	}
	c := px * 7 / 10
	if b, _, ok := fs.face(id, px).GlyphBounds('H'); ok {
		c = (-b.Min.Y).Round()
	}
	fs.caps[k] = c
	return c
}
