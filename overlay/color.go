package overlay

import (
	"hash/fnv"
	"image/color"
	"math"

	"github.com/ferlive/ferlive/internal/emotion"
)

// Color returns the colour of an emotion label. The emotions of FER2013 and
// FER+ (angry, disgust, fear, happy, neutral, sad, surprise, contempt, and the
// FER+ spellings anger, happiness, sadness, plus a few adjective forms) have
// fixed, distinct colours; case and surrounding spaces are ignored. Any other
// label gets a stable colour derived from a hash of its name.
func Color(label string) color.RGBA {
	name := emotion.Canonical(label)
	switch name {
	case "angry":
		return color.RGBA{R: 230, G: 57, B: 70, A: 255}
	case "disgust":
		return color.RGBA{R: 106, G: 176, B: 52, A: 255}
	case "fear":
		return color.RGBA{R: 155, G: 89, B: 214, A: 255}
	case "happy":
		return color.RGBA{R: 255, G: 196, B: 0, A: 255}
	case "neutral":
		return color.RGBA{R: 160, G: 172, B: 184, A: 255}
	case "sad":
		return color.RGBA{R: 52, G: 120, B: 246, A: 255}
	case "surprise":
		return color.RGBA{R: 0, G: 200, B: 200, A: 255}
	case "contempt":
		return color.RGBA{R: 236, G: 72, B: 153, A: 255}
	}
	return hashedColor(name)
}

// hashedColor derives a stable, saturated, fairly bright colour from a
// label's name (FNV-1a of the name picks the hue).
func hashedColor(label string) color.RGBA {
	h := fnv.New32a()
	h.Write([]byte(label))
	sum := h.Sum32()
	hue := float64(sum%360) / 60
	s := 0.55 + float64((sum>>9)%20)/100 // 0.55..0.74
	v := 0.85 + float64((sum>>17)%10)/100
	c := v * s
	x := c * (1 - math.Abs(math.Mod(hue, 2)-1))
	var r, g, b float64
	switch int(hue) {
	case 0:
		r, g, b = c, x, 0
	case 1:
		r, g, b = x, c, 0
	case 2:
		r, g, b = 0, c, x
	case 3:
		r, g, b = 0, x, c
	case 4:
		r, g, b = x, 0, c
	default:
		r, g, b = c, 0, x
	}
	m := v - c
	to8 := func(f float64) uint8 { return uint8(math.Round((f + m) * 255)) }
	return color.RGBA{R: to8(r), G: to8(g), B: to8(b), A: 255}
}

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
