package emotion

import (
	"hash/fnv"
	"image/color"
	"math"
)

// The palette is Okabe and Ito's eight colours ("Color Universal Design",
// 2008), which stay distinct for the common forms of colour blindness
// (protanopia, deuteranopia, tritanopia), one per emotion. Grey is kept
// for faces whose classification is uncertain, so no emotion is grey.
var (
	okabeOrange    = color.RGBA{R: 230, G: 159, B: 0, A: 255}
	okabeSkyBlue   = color.RGBA{R: 86, G: 180, B: 233, A: 255}
	okabeGreen     = color.RGBA{R: 0, G: 158, B: 115, A: 255}
	okabeYellow    = color.RGBA{R: 240, G: 228, B: 66, A: 255}
	okabeBlue      = color.RGBA{R: 0, G: 114, B: 178, A: 255}
	okabeVermilion = color.RGBA{R: 213, G: 94, B: 0, A: 255}
	okabePurple    = color.RGBA{R: 204, G: 121, B: 167, A: 255}
	okabeBlack     = color.RGBA{R: 0, G: 0, B: 0, A: 255}
)

// Color returns the colour of an emotion label. The emotions of FER2013 and
// FER+ (angry, disgust, fear, happy, neutral, sad, surprise, contempt, in any
// spelling Canonical knows: anger, happiness, sadness, adjective
// forms) have fixed colours of the Okabe-Ito palette: happy yellow, surprise
// orange, angry vermilion, sad blue, neutral sky blue, disgust green, fear
// purple, contempt black. Case and surrounding spaces are ignored. Any other
// label gets a stable colour derived from a hash of its name.
func Color(label string) color.RGBA {
	name := Canonical(label)
	switch name {
	case "angry":
		return okabeVermilion
	case "disgust":
		return okabeGreen
	case "fear":
		return okabePurple
	case "happy":
		return okabeYellow
	case "neutral":
		return okabeSkyBlue
	case "sad":
		return okabeBlue
	case "surprise":
		return okabeOrange
	case "contempt":
		return okabeBlack
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
