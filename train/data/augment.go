package data

import (
	"math"
	"math/rand"

	"github.com/ferlive/ferlive/internal/degrade"
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
	Flip   bool    // horizontal flip with p 0.5
	Shift  float64 // max translation, fraction of the side
	Scale  float64 // max zoom in/out, e.g. 0.1 for 0.9..1.1
	Rotate float64 // max rotation in degrees
	// Shear is the max shear in degrees, drawn independently along x and
	// y: the foreshortening of a face turned a little away (pose).
	Shear float64
	// Jitter varies the crop as a face detector's box varies from frame to
	// frame and detector to detector: the box side by a factor up to
	// exp(+-Jitter), its aspect (width/height) by up to exp(+-Jitter/2),
	// and its centre by up to Jitter/2 of the side along each axis.
	Jitter float64
	// Light is the probability of a lighting change (ranges: WildGain,
	// WildGamma, WildContrast): brightness, gamma and contrast, then, half
	// of the time, low-light sensor noise (WildRead, WildShot).
	Light float64
	// Small is the probability of a small-face degradation: one or more
	// of blur (WildBlur), a face that covered few pixels enlarged back
	// (WildSide) and JPEG compression (WildJPEG).
	Small     float64
	Mask      Mask
	Normalize struct{ Mean, Std float32 }
}

// Apply writes the augmented, normalised image into dst (size*size floats):
// pixel/255, then (x-mean)/std, as the runtime does. Light and small-face
// degradations are applied to the pixels first (a copy: src is never
// changed), then the geometric ones, then the mask. With Shear, Jitter,
// Light and Small zero it draws exactly the random numbers it drew before
// they existed, so older runs reproduce.
func (a Augment) Apply(rng *rand.Rand, src []uint8, size int, dst []float32) {
	mean, std := a.Normalize.Mean, a.Normalize.Std
	if std == 0 {
		std = 1
	}
	if a.Light > 0 || a.Small > 0 {
		src = a.wild(rng, src, size)
	}
	geo := a.Flip || a.Shift > 0 || a.Scale > 0 || a.Rotate > 0 || a.Shear > 0 || a.Jitter > 0
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
		// pose and box jitter: source offset = J (out offset + shear) + box shift
		shx, shy, jx, jy, jtx, jty := 0.0, 0.0, 1.0, 1.0, 0.0, 0.0
		if a.Shear > 0 {
			shx = math.Tan((rng.Float64()*2 - 1) * a.Shear * math.Pi / 180)
			shy = math.Tan((rng.Float64()*2 - 1) * a.Shear * math.Pi / 180)
		}
		if a.Jitter > 0 {
			side := math.Exp((rng.Float64()*2 - 1) * a.Jitter)
			aspect := math.Exp((rng.Float64()*2 - 1) * a.Jitter / 2)
			jx, jy = side*math.Sqrt(aspect), side/math.Sqrt(aspect)
			jtx = (rng.Float64()*2 - 1) * a.Jitter / 2 * float64(size)
			jty = (rng.Float64()*2 - 1) * a.Jitter / 2 * float64(size)
		}
		pose := a.Shear > 0 || a.Jitter > 0
		for y := 0; y < size; y++ {
			for x := 0; x < size; x++ {
				// inverse map: output pixel -> source position
				dx, dy := float64(x)-c-tx, float64(y)-c-ty
				if pose {
					dx, dy = jx*(dx+shx*dy)+jtx, jy*(dy+shy*dx)+jty
				}
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

// The ranges the wild augmentations draw from. They cover the severities
// of the robustness benchmark (internal/degrade's corruptions) and a little
// beyond in the easy direction, so a model trained with them sees dim,
// flat, noisy, blurred, compressed and tiny faces as well as clean ones.
var (
	WildGain     = [2]float64{0.3, 1.4}  // brightness gain, log-uniform
	WildGamma    = [2]float64{0.7, 1.8}  // gamma, log-uniform
	WildContrast = [2]float64{0.25, 1.2} // contrast factor, uniform
	WildRead     = [2]float64{2, 15}     // read-noise sd (0..255 units), uniform
	WildShot     = [2]float64{0, 2}      // shot-noise variance per unit of signal, uniform
	WildSide     = [2]int{10, 32}        // side of the face in the frame, pixels, uniform
	WildBlur     = [2]float64{0.5, 2.2}  // blur sigma at a 48-pixel face, uniform
	WildJPEG     = [2]int{5, 50}         // JPEG quality, uniform
)

func uniform(rng *rand.Rand, r [2]float64) float64 { return r[0] + rng.Float64()*(r[1]-r[0]) }

func logUniform(rng *rand.Rand, r [2]float64) float64 {
	return math.Exp(uniform(rng, [2]float64{math.Log(r[0]), math.Log(r[1])}))
}

// wild applies the light and small-face degradations to a copy of src.
// Every draw happens whether or not its result is used, so one option's
// probability does not shift the other's random numbers.
func (a Augment) wild(rng *rand.Rand, src []uint8, size int) []uint8 {
	img := degrade.NewGray(size, size, append([]uint8(nil), src...))
	if a.Light > 0 {
		on := rng.Float64() < a.Light
		gain, gamma, contrast := logUniform(rng, WildGain), logUniform(rng, WildGamma), uniform(rng, WildContrast)
		noisy := rng.Float64() < 0.5
		read, shot := uniform(rng, WildRead), uniform(rng, WildShot)
		noise := rand.New(rand.NewSource(rng.Int63()))
		if on {
			degrade.Light(img, gain, gamma, contrast)
			if noisy {
				degrade.Noise(img, noise, read, shot)
			}
		}
	}
	if a.Small > 0 {
		on := rng.Float64() < a.Small
		// a non-empty subset of blur, resampling and JPEG, each subset
		// equally likely (so each of them 4 times in 7)
		pick := rng.Intn(7) + 1
		sigma := uniform(rng, WildBlur) * float64(size) / 48
		side := WildSide[0] + rng.Intn(WildSide[1]-WildSide[0]+1)
		q := WildJPEG[0] + rng.Intn(WildJPEG[1]-WildJPEG[0]+1)
		if on {
			if pick&1 != 0 {
				degrade.Blur(img, sigma)
			}
			if pick&2 != 0 {
				degrade.Resample(img, side)
			}
			if pick&4 != 0 {
				_ = degrade.JPEG(img, q) // a size x size grey image always encodes
			}
		}
	}
	return img.Pix
}
