package data

import (
	"fmt"
	"math"
	"strings"

	"github.com/ferlive/ferlive/internal/emotion"
)

// Distil returns a copy of d whose training targets are mixed with a
// teacher's predictions (knowledge distillation): each face's target
// becomes (1-w)*own + w*teacher[i], where own is its soft target (FER+
// votes) if d has them, else its one-hot label. Labels, and so the
// class-reversed sampler and the training accuracy, stay d's. teacher[i]
// is a probability vector over d.Classes.
func Distil(d *Dataset, teacher [][]float32, w float64) (*Dataset, error) {
	if len(teacher) != d.Len() {
		return nil, fmt.Errorf("distil: %d teacher predictions for %d faces", len(teacher), d.Len())
	}
	if w < 0 || w > 1 || math.IsNaN(w) {
		return nil, fmt.Errorf("distil: teacher weight %g, want [0, 1]", w)
	}
	nc := len(d.Classes)
	out := *d
	out.Soft = make([][]float32, d.Len())
	for i, p := range teacher {
		if len(p) != nc {
			return nil, fmt.Errorf("distil: face %d: teacher gives %d probabilities for %d classes", i, len(p), nc)
		}
		q := make([]float32, nc)
		if d.Soft != nil {
			for k, v := range d.Soft[i] {
				q[k] = float32(1-w) * v
			}
		} else {
			q[d.Labels[i]] = float32(1 - w)
		}
		var sum float32
		for _, v := range p {
			sum += v
		}
		if !(sum > 0) {
			return nil, fmt.Errorf("distil: face %d: teacher probabilities sum to %g", i, sum)
		}
		for k, v := range p {
			q[k] += float32(w) * v / sum
		}
		out.Soft[i] = q
	}
	return &out, nil
}

// TeacherClasses maps a teacher's labels onto the dataset's classes by name
// (ignoring case, or in another dataset's spelling of the same emotion:
// class happy, label happiness): index[k] is the teacher output for class
// k. Every class of the dataset must be among the teacher's labels; the
// teacher's other labels are dropped (and its probabilities renormalised
// by Project).
func TeacherClasses(teacher, classes []string) ([]int, error) {
	match := emotion.NewMatcher(teacher)
	idx := make([]int, len(classes))
	var missing []string
	for k, c := range classes {
		j, _, ok := match.Match(c)
		if !ok {
			missing = append(missing, c)
			continue
		}
		idx[k] = j
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the data's classes %s are not among the teacher's labels %s", strings.Join(missing, ", "), strings.Join(teacher, ", "))
	}
	return idx, nil
}

// Project picks the dataset's classes out of a teacher's probability vector
// (index from TeacherClasses) and renormalises them to sum to 1.
func Project(p []float32, index []int) []float32 {
	q := make([]float32, len(index))
	var sum float32
	for k, j := range index {
		q[k] = p[j]
		sum += p[j]
	}
	if sum > 0 {
		for k := range q {
			q[k] /= sum
		}
	}
	return q
}
