package data

import (
	"math"
	"math/rand"
)

// Mask is the improved random masking of RLR-CNet: with probability P a
// rectangle covering MinArea..MaxArea of the image, with aspect ratio
// (h/w) between MinAspect and 1/MinAspect (log-uniform), is set to the
// mean (0 after normalisation). With UpperHalf its top edge lies in the
// upper half of the face, where eyes and brows are; the rectangle always
// lies inside the image. Masking is a training augmentation only.
type Mask struct {
	P, MinArea, MaxArea, MinAspect float64
	UpperHalf                      bool
}

// PaperMask is the paper's setting: p 0.5, area 0.04-0.3, aspect 0.3.
func PaperMask() Mask {
	return Mask{P: 0.5, MinArea: 0.04, MaxArea: 0.3, MinAspect: 0.3, UpperHalf: true}
}

// Sample draws a rectangle for a size x size image; ok is false when no
// mask is applied this time.
func (m Mask) Sample(rng *rand.Rand, size int) (x0, y0, w, h int, ok bool) {
	if m.P <= 0 || rng.Float64() >= m.P {
		return 0, 0, 0, 0, false
	}
	area := float64(size * size)
	for try := 0; try < 20; try++ {
		a := area * (m.MinArea + rng.Float64()*(m.MaxArea-m.MinArea))
		lr := math.Log(m.MinAspect)
		ar := math.Exp(lr + rng.Float64()*(-2*lr))
		h = int(math.Round(math.Sqrt(a * ar)))
		w = int(math.Round(math.Sqrt(a / ar)))
		if w < 1 || h < 1 || w > size || h > size {
			continue
		}
		maxY := size - h
		if m.UpperHalf && maxY > size/2-1 {
			maxY = size/2 - 1
		}
		if maxY < 0 {
			continue
		}
		return rng.Intn(size - w + 1), rng.Intn(maxY + 1), w, h, true
	}
	return 0, 0, 0, 0, false
}

// Augment describes the training augmentation. The zero value does
// nothing: evaluation uses it, so it never masks.
type Augment struct {
	Flip      bool    // horizontal flip with p 0.5
	Shift     float64 // max translation, fraction of the side
	Scale     float64 // max zoom in/out, e.g. 0.1 for 0.9..1.1
	Rotate    float64 // max rotation in degrees
	Mask      Mask
	Normalize struct{ Mean, Std float32 }
}

// Apply writes the augmented, normalised image into dst (size*size floats):
// pixel/255, then (x-mean)/std, as the runtime does.
func (a Augment) Apply(rng *rand.Rand, src []uint8, size int, dst []float32) {
	mean, std := a.Normalize.Mean, a.Normalize.Std
	if std == 0 {
		std = 1
	}
	geo := a.Flip || a.Shift > 0 || a.Scale > 0 || a.Rotate > 0
	if !geo {
		for i, p := range src {
			dst[i] = (float32(p)/255 - mean) / std
		}
	} else {
		flip := a.Flip && rng.Float64() < 0.5
		ang := (rng.Float64()*2 - 1) * a.Rotate * math.Pi / 180
		sc := 1 + (rng.Float64()*2-1)*a.Scale
		tx := (rng.Float64()*2 - 1) * a.Shift * float64(size)
		ty := (rng.Float64()*2 - 1) * a.Shift * float64(size)
		c := float64(size-1) / 2
		cos, sin := math.Cos(ang)/sc, math.Sin(ang)/sc
		for y := 0; y < size; y++ {
			for x := 0; x < size; x++ {
				// inverse map: output pixel -> source position
				dx, dy := float64(x)-c-tx, float64(y)-c-ty
				sx := cos*dx + sin*dy + c
				sy := -sin*dx + cos*dy + c
				if flip {
					sx = float64(size-1) - sx
				}
				v := bilinear(src, size, size, sx, sy, -1)
				if v < 0 {
					dst[y*size+x] = 0 // outside: the mean
					continue
				}
				dst[y*size+x] = (float32(v)/255 - mean) / std
			}
		}
	}
	if x0, y0, w, h, ok := a.Mask.Sample(rng, size); ok {
		for y := y0; y < y0+h; y++ {
			for x := x0; x < x0+w; x++ {
				dst[y*size+x] = 0
			}
		}
	}
}
