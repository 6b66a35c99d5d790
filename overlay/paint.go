package overlay

// maxLUTs bounds the Renderer's cache of blend tables; the overlay uses a
// handful (panel backgrounds, bar tracks, dimmed text).
const maxLUTs = 64

// paint executes the display list of lay onto f.
func (r *Renderer) paint(f *frame, lay *Layout) {
	for i := range lay.items {
		it := &lay.items[i]
		switch it.kind {
		case itemFill:
			f.fillRect(it.r, it.c)
		case itemBlend:
			if it.a == 255 {
				f.fillRect(it.r, it.c)
			} else if it.a != 0 {
				f.blendRect(it.r, r.lut(it.c, it.a))
			}
		case itemMask:
			var lut *blendLUT
			if it.a != 255 {
				lut = r.lut(it.c, it.a)
			}
			f.blendMask(it.m, it.x, it.y, it.c, it.a, lut)
		}
	}
}

// lut returns the cached blend table of colour c at opacity a.
func (r *Renderer) lut(c bgr, a uint8) *blendLUT {
	k := lutKey{c, a}
	if t, ok := r.luts[k]; ok {
		return t
	}
	if len(r.luts) >= maxLUTs {
		clear(r.luts)
	}
	t := newBlendLUT(c, a)
	r.luts[k] = t
	return t
}
