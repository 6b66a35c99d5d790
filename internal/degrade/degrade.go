// Package degrade spoils face images the way cameras in the wild do: dim
// light, flat contrast, defocus blur, sensor noise, JPEG compression, faces
// that cover few pixels, and heads tilted in the image plane. It is pure Go
// (no cgo), works on 8-bit grey or RGB images and is deterministic given
// its random source.
//
// The operations (Dark, Contrast, Blur, Noise, JPEG, Resample, Rotate) take
// explicit parameters; the trainer draws them at random for augmentation.
// Corruptions (see All) fix them at three severities for the robustness
// benchmark of `ferlive eval --corrupt`.
package degrade

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand"
)

// Image is an 8-bit image of W x H pixels with C interleaved channels (1:
// grey, 3: RGB), row major, without padding: len(Pix) == W*H*C.
type Image struct {
	W, H, C int
	Pix     []uint8
}

// NewGray wraps a w x h grey image (pix is used, not copied).
func NewGray(w, h int, pix []uint8) *Image { return &Image{W: w, H: h, C: 1, Pix: pix} }

// Clone returns a deep copy.
func (m *Image) Clone() *Image {
	return &Image{W: m.W, H: m.H, C: m.C, Pix: append([]uint8(nil), m.Pix...)}
}

// Mean returns the mean pixel value over all channels.
func (m *Image) Mean() float64 {
	var s float64
	for _, p := range m.Pix {
		s += float64(p)
	}
	return s / float64(max(1, len(m.Pix)))
}

// Check reports whether the image's sizes are consistent.
func (m *Image) Check() error {
	if m.W < 1 || m.H < 1 || (m.C != 1 && m.C != 3) || len(m.Pix) != m.W*m.H*m.C {
		return fmt.Errorf("degrade: image %dx%d with %d channels and %d bytes: want positive sides, 1 or 3 channels and W*H*C bytes", m.W, m.H, m.C, len(m.Pix))
	}
	return nil
}

func clamp8(v float64) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}

// Dark dims the image as a scene in poor light: each value x becomes
// 255 * gain * (x/255)^gamma. gain < 1 lowers the brightness, gamma > 1
// darkens the mid-tones further (shadows sink first).
func Dark(m *Image, gain, gamma float64) {
	var lut [256]uint8
	for i := range lut {
		lut[i] = clamp8(255 * gain * math.Pow(float64(i)/255, gamma))
	}
	for i, p := range m.Pix {
		m.Pix[i] = lut[p]
	}
}

// Light applies a brightness gain, a gamma and a contrast factor about the
// image's mean in one pass: x -> mean' + contrast*(255*gain*(x/255)^gamma -
// mean'), where mean' is the mean after gain and gamma. contrast 1, gain 1
// and gamma 1 leave the image as it is.
func Light(m *Image, gain, gamma, contrast float64) {
	var lut [256]float64
	for i := range lut {
		lut[i] = 255 * gain * math.Pow(float64(i)/255, gamma)
	}
	var s float64
	for _, p := range m.Pix {
		s += lut[p]
	}
	mean := s / float64(max(1, len(m.Pix)))
	var out [256]uint8
	for i := range out {
		out[i] = clamp8(mean + contrast*(lut[i]-mean))
	}
	for i, p := range m.Pix {
		m.Pix[i] = out[p]
	}
}

// Contrast scales each value's distance from the image's mean by c (c < 1:
// flatter, as through haze or a backlit face); the mean stays.
func Contrast(m *Image, c float64) { Light(m, 1, 1, c) }

// Blur convolves the image with a Gaussian of standard deviation sigma
// pixels (separable, borders reflected), as a face out of focus or in
// motion. sigma <= 0 leaves it as it is.
func Blur(m *Image, sigma float64) {
	if sigma <= 0 {
		return
	}
	r := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*r+1)
	var s float64
	for i := -r; i <= r; i++ {
		k[i+r] = math.Exp(-float64(i*i) / (2 * sigma * sigma))
		s += k[i+r]
	}
	for i := range k {
		k[i] /= s
	}
	w, h, c := m.W, m.H, m.C
	tmp := make([]float64, len(m.Pix))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for ch := 0; ch < c; ch++ {
				var v float64
				for i := -r; i <= r; i++ {
					v += k[i+r] * float64(m.Pix[(y*w+reflect(x+i, w))*c+ch])
				}
				tmp[(y*w+x)*c+ch] = v
			}
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for ch := 0; ch < c; ch++ {
				var v float64
				for i := -r; i <= r; i++ {
					v += k[i+r] * tmp[(reflect(y+i, h)*w+x)*c+ch]
				}
				m.Pix[(y*w+x)*c+ch] = clamp8(v)
			}
		}
	}
}

// reflect maps i into [0, n) by mirroring about the edge pixels
// (OpenCV's BORDER_REFLECT_101).
func reflect(i, n int) int {
	if n == 1 {
		return 0
	}
	for i < 0 || i >= n {
		if i < 0 {
			i = -i
		}
		if i >= n {
			i = 2*(n-1) - i
		}
	}
	return i
}

// Noise adds sensor noise drawn from rng: Gaussian read noise of standard
// deviation read (in 0..255 units) and signal-dependent shot noise whose
// variance is shot*x at value x (photon noise; its share grows in low light,
// when a camera amplifies few photons). Each channel of each pixel draws
// independently.
func Noise(m *Image, rng *rand.Rand, read, shot float64) {
	if read <= 0 && shot <= 0 {
		return
	}
	for i, p := range m.Pix {
		x := float64(p)
		sd := math.Sqrt(read*read + shot*x)
		m.Pix[i] = clamp8(x + sd*rng.NormFloat64())
	}
}

// JPEG compresses the image with image/jpeg at quality (1-100) and decodes
// it back, with the blocking and ringing of a cheap camera or a re-shared
// video.
func JPEG(m *Image, quality int) error {
	if err := m.Check(); err != nil {
		return err
	}
	var src image.Image
	r := image.Rect(0, 0, m.W, m.H)
	if m.C == 1 {
		src = &image.Gray{Pix: m.Pix, Stride: m.W, Rect: r}
	} else {
		rgba := image.NewRGBA(r)
		for i := 0; i < m.W*m.H; i++ {
			copy(rgba.Pix[4*i:4*i+3], m.Pix[3*i:3*i+3])
			rgba.Pix[4*i+3] = 255
		}
		src = rgba
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: max(1, min(100, quality))}); err != nil {
		return fmt.Errorf("degrade: JPEG quality %d of a %dx%d image: %w", quality, m.W, m.H, err)
	}
	dec, err := jpeg.Decode(&buf)
	if err != nil {
		return fmt.Errorf("degrade: decoding its own JPEG (quality %d): %w", quality, err)
	}
	if g, ok := dec.(*image.Gray); ok && m.C == 1 {
		for y := 0; y < m.H; y++ {
			copy(m.Pix[y*m.W:(y+1)*m.W], g.Pix[y*g.Stride:y*g.Stride+m.W])
		}
		return nil
	}
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			c := color.RGBAModel.Convert(dec.At(x, y)).(color.RGBA)
			if m.C == 1 {
				m.Pix[y*m.W+x] = c.R
				continue
			}
			i := 3 * (y*m.W + x)
			m.Pix[i], m.Pix[i+1], m.Pix[i+2] = c.R, c.G, c.B
		}
	}
	return nil
}

// Resample makes the image look like a face that covered only side pixels
// in the frame: it is area-averaged down so that its longer side is side
// pixels, then enlarged back bilinearly, as the runtime enlarges a small
// detected face to the model's input. side >= the longer side leaves it as
// it is.
func Resample(m *Image, side int) {
	if side < 1 {
		side = 1
	}
	long := max(m.W, m.H)
	if side >= long {
		return
	}
	sw := max(1, int(math.Round(float64(m.W)*float64(side)/float64(long))))
	sh := max(1, int(math.Round(float64(m.H)*float64(side)/float64(long))))
	small := resizeArea(m, sw, sh)
	up := resizeBilinear(small, m.W, m.H)
	copy(m.Pix, up.Pix)
}

// resizeArea shrinks m to w x h by averaging the source area under each
// destination pixel (OpenCV's INTER_AREA).
func resizeArea(m *Image, w, h int) *Image {
	out := &Image{W: w, H: h, C: m.C, Pix: make([]uint8, w*h*m.C)}
	sx, sy := float64(m.W)/float64(w), float64(m.H)/float64(h)
	acc := make([]float64, m.C)
	for y := 0; y < h; y++ {
		y0, y1 := float64(y)*sy, float64(y+1)*sy
		for x := 0; x < w; x++ {
			x0, x1 := float64(x)*sx, float64(x+1)*sx
			for i := range acc {
				acc[i] = 0
			}
			var ws float64
			for yy := int(y0); yy < m.H && float64(yy) < y1; yy++ {
				wy := math.Min(y1, float64(yy+1)) - math.Max(y0, float64(yy))
				for xx := int(x0); xx < m.W && float64(xx) < x1; xx++ {
					wgt := wy * (math.Min(x1, float64(xx+1)) - math.Max(x0, float64(xx)))
					for ch := range acc {
						acc[ch] += wgt * float64(m.Pix[(yy*m.W+xx)*m.C+ch])
					}
					ws += wgt
				}
			}
			for ch := range acc {
				out.Pix[(y*w+x)*m.C+ch] = clamp8(acc[ch] / ws)
			}
		}
	}
	return out
}

// resizeBilinear scales m to w x h with pixel-centre alignment and
// replicated edges (OpenCV's INTER_LINEAR).
func resizeBilinear(m *Image, w, h int) *Image {
	out := &Image{W: w, H: h, C: m.C, Pix: make([]uint8, w*h*m.C)}
	for y := 0; y < h; y++ {
		fy := (float64(y)+0.5)*float64(m.H)/float64(h) - 0.5
		for x := 0; x < w; x++ {
			fx := (float64(x)+0.5)*float64(m.W)/float64(w) - 0.5
			for ch := 0; ch < m.C; ch++ {
				out.Pix[(y*w+x)*m.C+ch] = clamp8(sample(m, fx, fy, ch, false))
			}
		}
	}
	return out
}

// sample reads channel ch at (fx, fy) bilinearly; outside the image the
// edge is replicated, or mirrored when mirror is set.
func sample(m *Image, fx, fy float64, ch int, mirror bool) float64 {
	x0, y0 := int(math.Floor(fx)), int(math.Floor(fy))
	ax, ay := fx-float64(x0), fy-float64(y0)
	at := func(x, y int) float64 {
		if mirror {
			x, y = reflect(x, m.W), reflect(y, m.H)
		} else {
			x, y = max(0, min(m.W-1, x)), max(0, min(m.H-1, y))
		}
		return float64(m.Pix[(y*m.W+x)*m.C+ch])
	}
	return (1-ay)*((1-ax)*at(x0, y0)+ax*at(x0+1, y0)) + ay*((1-ax)*at(x0, y0+1)+ax*at(x0+1, y0+1))
}

// Rotate turns the image by deg degrees clockwise about its centre
// (bilinear), as a head tilted in the image plane; corners that come from
// outside the image are filled by mirroring it, so no artificial black
// wedge appears (a real crop has more scene there).
func Rotate(m *Image, deg float64) {
	if deg == 0 {
		return
	}
	src := m.Clone()
	a := deg * math.Pi / 180
	cos, sin := math.Cos(a), math.Sin(a)
	cx, cy := float64(m.W-1)/2, float64(m.H-1)/2
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			// inverse map: output pixel -> source position (y points down,
			// so a positive angle turns the picture clockwise)
			dx, dy := float64(x)-cx, float64(y)-cy
			sx := cos*dx + sin*dy + cx
			sy := -sin*dx + cos*dy + cy
			for ch := 0; ch < m.C; ch++ {
				m.Pix[(y*m.W+x)*m.C+ch] = clamp8(sample(src, sx, sy, ch, true))
			}
		}
	}
}
