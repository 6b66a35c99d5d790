package rlrcnet

import "testing"

func TestVariants(t *testing.T) {
	want := map[string]struct{ clip, sa, dual, mask bool }{
		"shufflenet": {false, false, false, false},
		"rm":         {false, false, false, true},
		"clipk5":     {true, false, false, true},
		"sa":         {true, true, false, true},
		"full":       {true, true, true, true},
	}
	for _, v := range Variants {
		c, mask, err := Variant(v, 7, 48)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		w := want[v]
		if c.Clip != w.clip || c.SA != w.sa || c.Dual != w.dual || mask != w.mask {
			t.Errorf("%s: clip %v sa %v dual %v mask %v", v, c.Clip, c.SA, c.Dual, mask)
		}
		if (c.Act == "betamish") != (v == "full") || (c.Kernel == 5) != c.Clip {
			t.Errorf("%s: act %s kernel %d", v, c.Act, c.Kernel)
		}
	}
	if _, _, err := Variant("nope", 7, 48); err == nil {
		t.Error("unknown variant accepted")
	}
	c, _, _ := Variant("full", 7, 48)
	c.SAGroups = 7
	if err := c.Validate(); err == nil {
		t.Error("116 channels in 2*7 SA groups accepted")
	}
}
