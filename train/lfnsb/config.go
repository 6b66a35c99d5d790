package lfnsb

import (
	"fmt"
	"strings"
)

// Block is one row of the bottleneck table: expansion T, output channels
// C, repeats N, stride S of the first repeat (MobileFaceNet's t, c, n, s).
type Block struct {
	T int64 `json:"t"`
	C int64 `json:"c"`
	N int   `json:"n"`
	S int64 `json:"s"`
}

// Config is LFNSB's shape. Size is the input side (112 in the paper); the
// other fields are widths and switches.
type Config struct {
	Size       int     `json:"size"`
	Classes    int     `json:"classes"`
	Stem       int64   `json:"stem"`        // channels of the stem and the depthwise Conv2d_BN
	Blocks     []Block `json:"blocks"`      // bottleneck table
	Kernels    []int64 `json:"kernels"`     // MixConv kernel sizes (channel groups)
	Conv       int64   `json:"conv"`        // channels of the 1x1 convolution before RepVGGDW
	Embedding  int64   `json:"embedding"`   // embedding size (input of the classifier and of Cosine-Harmony)
	Act        string  `json:"act"`         // prelu (MobileFaceNet) or relu
	SB         bool    `json:"sb"`          // Spatial Bias on
	SBReduced  int64   `json:"sb_reduced"`  // channels of Spatial Bias's 1x1 reduction (appends SBReduced-2 maps)
	SBPool     int64   `json:"sb_pool"`     // side of Spatial Bias's pooled map
	Repvgg     bool    `json:"repvgg"`      // RepVGGDW after the 1x1 convolution
	StemStride int64   `json:"stem_stride"` // 2 (MobileFaceNet)
}

// Default returns the configuration used for FER: widths chosen so that the
// model has about the paper's 2.68 M parameters and 397 M multiply-adds at
// 112x112 (MobileFaceNet's table with the 128-channel stages widened to 192
// and 256 and a third repeat in the last stage).
func Default(size, classes int) Config {
	return Config{
		Size: size, Classes: classes, Stem: 64,
		Blocks:  []Block{{2, 64, 5, 2}, {4, 192, 1, 2}, {2, 192, 6, 1}, {4, 256, 1, 2}, {2, 256, 3, 1}},
		Kernels: []int64{3, 5, 7}, Conv: 512, Embedding: 256, Act: "prelu",
		SB: true, SBReduced: 34, SBPool: 3, Repvgg: true, StemStride: 2,
	}
}

// FinalSide is the side of the last feature map (the global depthwise
// convolution's kernel).
func (c Config) FinalSide() int64 {
	s := (int64(c.Size) + c.StemStride - 1) / c.StemStride
	for _, b := range c.Blocks {
		s = (s + b.S - 1) / b.S
	}
	return s
}

// Validate checks the sizes fit together.
func (c Config) Validate() error {
	if c.Size < 16 || c.Classes < 2 {
		return fmt.Errorf("lfnsb: size %d, %d classes", c.Size, c.Classes)
	}
	if len(c.Blocks) == 0 || c.Stem < 1 || c.Conv < 1 || c.Embedding < 1 || c.StemStride < 1 {
		return fmt.Errorf("lfnsb: empty widths in %+v", c)
	}
	seen := map[int64]bool{}
	for _, k := range c.Kernels {
		if k%2 != 1 || seen[k] {
			return fmt.Errorf("lfnsb: MixConv kernels %v must be distinct odd sizes", c.Kernels)
		}
		seen[k] = true
	}
	if len(c.Kernels) == 0 {
		return fmt.Errorf("lfnsb: no MixConv kernels")
	}
	for _, b := range c.Blocks {
		if b.T < 1 || b.C < 1 || b.N < 1 || b.S < 1 {
			return fmt.Errorf("lfnsb: bottleneck %+v", b)
		}
		if b.T*b.C < int64(len(c.Kernels)) {
			return fmt.Errorf("lfnsb: bottleneck %+v has fewer channels than MixConv groups", b)
		}
	}
	switch c.Act {
	case "prelu", "relu":
	default:
		return fmt.Errorf("lfnsb: activation %q: want prelu or relu", c.Act)
	}
	if c.SB {
		if c.SBReduced < 3 || c.SBPool < 1 {
			return fmt.Errorf("lfnsb: Spatial Bias reduced to %d channels, pooled to %d (want >= 3 and >= 1)", c.SBReduced, c.SBPool)
		}
		if s := c.FinalSide(); c.SBPool > s {
			return fmt.Errorf("lfnsb: Spatial Bias pool %d is larger than the %dx%d final map at size %d", c.SBPool, s, s, c.Size)
		}
	}
	return nil
}

// String is a one-line summary for logs and model cards.
func (c Config) String() string {
	var rows []string
	for _, b := range c.Blocks {
		rows = append(rows, fmt.Sprintf("(%d,%d,%d,%d)", b.T, b.C, b.N, b.S))
	}
	ks := make([]string, len(c.Kernels))
	for i, k := range c.Kernels {
		ks[i] = fmt.Sprint(k)
	}
	s := fmt.Sprintf("%dx%d, stem %d, bottlenecks (t,c,n,s) %s, MixConv %s, conv %d", c.Size, c.Size, c.Stem,
		strings.Join(rows, " "), strings.Join(ks, "/"), c.Conv)
	if c.Repvgg {
		s += ", RepVGGDW"
	}
	if c.SB {
		s += fmt.Sprintf(", Spatial Bias (%d->%d maps from %dx%d)", c.SBReduced, c.SBReduced-2, c.SBPool, c.SBPool)
	}
	fs := c.FinalSide()
	return s + fmt.Sprintf(", GDC %dx%d, embedding %d, %s, %d classes", fs, fs, c.Embedding, c.Act, c.Classes)
}
