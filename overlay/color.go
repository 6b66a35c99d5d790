package overlay

import (
	"image/color"

	"github.com/ferlive/ferlive/internal/emotion"
)

// UncertainColor is the colour of a face whose classification is too weak
// to show as a finding (see Uncertainty), and of a face without one.
var UncertainColor = color.RGBA{R: 215, G: 215, B: 215, A: 255}

// Color returns the colour of an emotion label on screen: emotion.Color,
// the colour-blind-safe palette the timeline and charts use too.
func Color(label string) color.RGBA { return emotion.Color(label) }

// luminance is the approximate perceived brightness of c, 0..255.
func luminance(c color.RGBA) float64 {
	return 0.2126*float64(c.R) + 0.7152*float64(c.G) + 0.0722*float64(c.B)
}

// textOn returns the text colour (near black or white) that contrasts best
// with a background of colour bg.
func textOn(bg color.RGBA) color.RGBA {
	if luminance(bg) > 150 {
		return color.RGBA{R: 20, G: 20, B: 24, A: 255}
	}
	return color.RGBA{R: 255, G: 255, B: 255, A: 255}
}
