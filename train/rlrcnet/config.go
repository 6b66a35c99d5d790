package rlrcnet

import (
	"fmt"
	"strings"
)

// Config selects RLR-CNet's components (the switches of the paper's
// ablation, Table 3) and its sizes.
type Config struct {
	Clip       bool    `json:"clip"`        // Clip_K5 units (no 1x1 before the depthwise conv)
	Kernel     int64   `json:"kernel"`      // depthwise kernel (5 with Clip_K5, 3 in ShuffleNetV2)
	SA         bool    `json:"sa"`          // shuffle attention after stage 2
	SAGroups   int64   `json:"sa_groups"`   // SA groups (channels of stage 2 divisible by 2*groups)
	Dual       bool    `json:"dual"`        // BBN dual branch (stage 4, conv5 and classifier per branch)
	Act        string  `json:"act"`         // relu or betamish
	Widths     []int64 `json:"widths"`      // stem, stage 2, stage 3, stage 4 channels
	Repeats    []int   `json:"repeats"`     // units in stages 2, 3, 4
	Conv5      int64   `json:"conv5"`       // channels of the last 1x1 conv (0: none)
	StemStride int64   `json:"stem_stride"` // 2 halves the 48x48 input at once
	Classes    int     `json:"classes"`
	Size       int     `json:"size"` // input side
}

// Variants are the rows of the paper's ablation (Table 3), in order.
var Variants = []string{"shufflenet", "rm", "clipk5", "sa", "full"}

// Variant returns the configuration of an ablation row: shufflenet (plain
// ShuffleNetV2, ReLU, one branch), rm (+ random masking, a data switch: the
// model equals shufflenet), clipk5 (+ Clip_K5), sa (+ shuffle attention),
// full (+ beta-Mish and the BBN dual branch: RLR-CNet). It also reports
// whether the row trains with random masking.
func Variant(name string, classes, size int) (Config, bool, error) {
	c := Config{
		Kernel: 3, SAGroups: 29, Act: "relu",
		Widths: []int64{24, 116, 232, 464}, Repeats: []int{4, 8, 4}, Conv5: 1024,
		StemStride: 2, Classes: classes, Size: size,
	}
	mask := true
	switch strings.ToLower(name) {
	case "shufflenet":
		mask = false
	case "rm":
	case "clipk5":
		c.Clip, c.Kernel = true, 5
	case "sa":
		c.Clip, c.Kernel, c.SA = true, 5, true
	case "full", "rlrcnet":
		// Two branches of stage 4 with conv5 at 256 channels keep the
		// model at ~1.02 M parameters, the paper's size.
		c.Clip, c.Kernel, c.SA, c.Dual, c.Act, c.Conv5 = true, 5, true, true, "betamish", 256
	default:
		return Config{}, false, fmt.Errorf("variant %q: want one of %s", name, strings.Join(Variants, ", "))
	}
	return c, mask, nil
}

// Validate checks the sizes fit together.
func (c Config) Validate() error {
	if len(c.Widths) != 4 || len(c.Repeats) != 3 {
		return fmt.Errorf("rlrcnet: want 4 widths and 3 repeats, have %v and %v", c.Widths, c.Repeats)
	}
	for _, w := range c.Widths[1:] {
		if w%2 != 0 {
			return fmt.Errorf("rlrcnet: stage widths must be even, have %v", c.Widths)
		}
	}
	if c.SA && (c.SAGroups <= 0 || c.Widths[1]%(2*c.SAGroups) != 0) {
		return fmt.Errorf("rlrcnet: stage-2 width %d is not divisible by 2*%d SA groups", c.Widths[1], c.SAGroups)
	}
	if c.Kernel%2 != 1 {
		return fmt.Errorf("rlrcnet: kernel %d must be odd", c.Kernel)
	}
	if c.Classes < 2 || c.Size < 16 {
		return fmt.Errorf("rlrcnet: %d classes, size %d", c.Classes, c.Size)
	}
	return nil
}
