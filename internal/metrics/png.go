package metrics

import (
	"fmt"

	"github.com/fogleman/gg"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
)

// WritePNG renders the row-normalised confusion matrix (with counts) to a PNG file.
func (c *Confusion) WritePNG(path, title string) error {
	k := len(c.Labels)
	const cell, left, top = 70, 110, 90
	w, h := left+cell*k+20, top+cell*k+70
	dc := gg.NewContext(w, h)
	dc.SetRGB(1, 1, 1)
	dc.Clear()
	f, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return err
	}
	face := func(size float64) {
		ff, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72})
		if err == nil {
			dc.SetFontFace(ff)
		}
	}
	face(16)
	dc.SetRGB(0, 0, 0)
	dc.DrawStringAnchored(title, float64(w)/2, 22, 0.5, 0.5)
	face(12)
	dc.DrawStringAnchored(fmt.Sprintf("accuracy %.2f%%, n=%d   (rows: true, columns: predicted)", 100*c.Accuracy(), c.N()), float64(w)/2, 44, 0.5, 0.5)
	sup := c.Support()
	for i := 0; i < k; i++ {
		dc.SetRGB(0, 0, 0)
		dc.DrawStringAnchored(c.Labels[i], left-8, float64(top+cell*i+cell/2), 1, 0.5)
		dc.DrawStringAnchored(c.Labels[i], float64(left+cell*i+cell/2), top-12, 0.5, 0.5)
		for j := 0; j < k; j++ {
			frac := 0.0
			if sup[i] > 0 {
				frac = float64(c.M[i][j]) / float64(sup[i])
			}
			x, y := float64(left+cell*j), float64(top+cell*i)
			dc.SetRGB(1-0.85*frac, 1-0.55*frac, 1-0.2*frac)
			dc.DrawRectangle(x, y, cell, cell)
			dc.Fill()
			dc.SetRGB(0.8, 0.8, 0.8)
			dc.DrawRectangle(x, y, cell, cell)
			dc.Stroke()
			if frac > 0.55 {
				dc.SetRGB(1, 1, 1)
			} else {
				dc.SetRGB(0, 0, 0)
			}
			dc.DrawStringAnchored(fmt.Sprintf("%.0f%%", 100*frac), x+cell/2, y+cell/2-7, 0.5, 0.5)
			dc.DrawStringAnchored(fmt.Sprintf("%d", c.M[i][j]), x+cell/2, y+cell/2+9, 0.5, 0.5)
		}
	}
	return dc.SavePNG(path)
}
