// Package metrics computes classification metrics (accuracy, per-class
// accuracy, confusion matrix) and renders the confusion matrix as a table
// or a PNG.
package metrics

import (
	"fmt"
	"io"
	"strings"
)

// Confusion is a confusion matrix: M[true][predicted] counts.
type Confusion struct {
	Labels []string
	M      [][]int
}

// NewConfusion returns an empty matrix over labels.
func NewConfusion(labels []string) *Confusion {
	m := make([][]int, len(labels))
	for i := range m {
		m[i] = make([]int, len(labels))
	}
	return &Confusion{Labels: labels, M: m}
}

// Add counts one sample.
func (c *Confusion) Add(truth, pred int) { c.M[truth][pred]++ }

// N is the number of samples.
func (c *Confusion) N() int {
	n := 0
	for _, r := range c.M {
		for _, v := range r {
			n += v
		}
	}
	return n
}

// Accuracy is the fraction of correct predictions (0 when empty).
func (c *Confusion) Accuracy() float64 {
	n, ok := 0, 0
	for i, r := range c.M {
		for j, v := range r {
			n += v
			if i == j {
				ok += v
			}
		}
	}
	if n == 0 {
		return 0
	}
	return float64(ok) / float64(n)
}

// PerClass returns each class's recall (accuracy on its own samples), NaN-free:
// a class without samples gets 0 and Support 0.
func (c *Confusion) PerClass() []float64 {
	out := make([]float64, len(c.M))
	for i, r := range c.M {
		n := 0
		for _, v := range r {
			n += v
		}
		if n > 0 {
			out[i] = float64(r[i]) / float64(n)
		}
	}
	return out
}

// Support returns the number of samples of each class.
func (c *Confusion) Support() []int {
	out := make([]int, len(c.M))
	for i, r := range c.M {
		for _, v := range r {
			out[i] += v
		}
	}
	return out
}

// MeanClassAccuracy is the unweighted mean of the per-class accuracies of
// the classes that have samples.
func (c *Confusion) MeanClassAccuracy() float64 {
	pc, sup := c.PerClass(), c.Support()
	s, k := 0.0, 0
	for i := range pc {
		if sup[i] > 0 {
			s += pc[i]
			k++
		}
	}
	if k == 0 {
		return 0
	}
	return s / float64(k)
}

// WriteTable prints accuracy, per-class accuracy and the matrix as text.
func (c *Confusion) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "accuracy %.4f (%d samples), mean class accuracy %.4f\n\n", c.Accuracy(), c.N(), c.MeanClassAccuracy())
	fmt.Fprintf(&b, "%-10s %8s %8s\n", "class", "acc", "n")
	pc, sup := c.PerClass(), c.Support()
	for i, l := range c.Labels {
		fmt.Fprintf(&b, "%-10s %8.4f %8d\n", l, pc[i], sup[i])
	}
	fmt.Fprintf(&b, "\nconfusion (rows true, columns predicted)\n%-10s", "")
	for _, l := range c.Labels {
		fmt.Fprintf(&b, " %8.8s", l)
	}
	b.WriteByte('\n')
	for i, r := range c.M {
		fmt.Fprintf(&b, "%-10s", c.Labels[i])
		for _, v := range r {
			fmt.Fprintf(&b, " %8d", v)
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Markdown returns the matrix as a Markdown table (rows true, columns predicted).
func (c *Confusion) Markdown() string {
	var b strings.Builder
	b.WriteString("| true \\ predicted |")
	for _, l := range c.Labels {
		b.WriteString(" " + l + " |")
	}
	b.WriteString("\n|---|")
	for range c.Labels {
		b.WriteString("---:|")
	}
	b.WriteByte('\n')
	for i, r := range c.M {
		b.WriteString("| " + c.Labels[i] + " |")
		for _, v := range r {
			fmt.Fprintf(&b, " %d |", v)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
