//go:build torch

package train

import (
	"os"
	"testing"

	"github.com/ferlive/ferlive/train/data"
)

func TestDiagBN(t *testing.T) {
	ck := os.Getenv("DIAG_CKPT")
	if ck == "" {
		t.Skip()
	}
	m, st, err := LoadModel(ck)
	if err != nil {
		t.Fatal(err)
	}
	_, pub, _ := data.FER2013()
	ds, err := data.Load(st.Options.Data, st.Labels, 48, pub)
	if err != nil {
		t.Fatal(err)
	}
	d := ds[0]
	out, _ := Evaluate(m, d, st.Mean, st.Std, 256)
	t.Logf("eval-mode acc %.4f", out.Acc(0.5))
	tr, _, _ := data.FER2013()
	tds, err := data.Load(st.Options.Data, st.Labels, 48, tr)
	if err != nil {
		t.Fatal(err)
	}
	for _, nb := range []int{20, 60} {
		if err := RecalibrateBN(m, tds[0], st.Mean, st.Std, nb, 256, 1); err != nil {
			t.Fatal(err)
		}
		out, _ := Evaluate(m, d, st.Mean, st.Std, 256)
		t.Logf("after precise BN (%d batches): acc %.4f (w=1 %.4f)", nb, out.Acc(0.5), out.Acc(1))
	}
}
