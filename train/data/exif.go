package data

import "encoding/binary"

// jpegOrientation returns the EXIF orientation (1-8) of a JPEG file, or 1
// (as stored) for other files and JPEGs without one. Phones store a photo
// as the sensor saw it and record how to turn it in this tag; OpenCV's
// imread, and so ferlive's runtime, eval and quantize, apply it, and the
// trainer must see the same picture.
func jpegOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 1
	}
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			return 1
		}
		marker := b[i+1]
		if marker == 0xFF { // fill byte
			i++
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // image data: no more headers
			return 1
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return 1
		}
		seg := b[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) > 6 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation reads tag 0x0112 of the first IFD of a TIFF header.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	ifd := int(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > len(t) {
		return 1
	}
	n := int(bo.Uint16(t[ifd:]))
	for k := 0; k < n; k++ {
		e := ifd + 2 + 12*k
		if e+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 { // SHORT
			if o := int(bo.Uint16(t[e+8:])); o >= 1 && o <= 8 {
				return o
			}
			return 1
		}
	}
	return 1
}

// orient turns a w x h gray image as EXIF orientation o says, returning the
// pixels and the new width and height.
func orient(g []uint8, w, h, o int) ([]uint8, int, int) {
	if o <= 1 || o > 8 {
		return g, w, h
	}
	ow, oh := w, h
	if o >= 5 { // transposed orientations swap the sides
		ow, oh = h, w
	}
	out := make([]uint8, len(g))
	for y := 0; y < oh; y++ {
		for x := 0; x < ow; x++ {
			var sx, sy int // the stored pixel shown at (x, y)
			switch o {
			case 2: // mirrored
				sx, sy = w-1-x, y
			case 3: // rotated 180
				sx, sy = w-1-x, h-1-y
			case 4: // mirrored top to bottom
				sx, sy = x, h-1-y
			case 5: // transposed
				sx, sy = y, x
			case 6: // turn 90 clockwise to display
				sx, sy = y, h-1-x
			case 7: // transverse
				sx, sy = w-1-y, h-1-x
			case 8: // turn 90 counter-clockwise to display
				sx, sy = w-1-y, x
			}
			out[y*ow+x] = g[sy*w+sx]
		}
	}
	return out, ow, oh
}
