// Package ferplus reads FER+ label files (Microsoft FERPlus: ten annotators'
// votes per FER2013 face) and turns votes into labels: a majority label, or
// the vote distribution as a soft target. The trainer and `ferlive eval`
// share it, so a model is measured on the same labels it was selected on.
package ferplus

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Emotions are the eight emotion columns of label.csv, in order; the two
// columns after them are unknown and not-a-face.
var Emotions = []string{"neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt"}

// ToFER2013 maps FER+ emotion names to FER2013 class names (contempt has
// none).
var ToFER2013 = map[string]string{
	"neutral": "neutral", "happiness": "happy", "surprise": "surprise", "sadness": "sad",
	"anger": "angry", "disgust": "disgust", "fear": "fear",
}

// Record is one row of label.csv: the image file name and the vote counts
// of the eight emotions, unknown and not-a-face.
type Record struct {
	Image string
	Votes [10]int
}

// MaxVotes bounds one vote count: FER+ has ten annotators per face, so a
// count above this is a damaged file, not a label.
const MaxVotes = 1000

// Parse reads a label.csv (image, face box, ten vote columns). Rows with
// fewer columns are skipped; a vote that is not an integer in [0, MaxVotes]
// is an error naming the line.
func Parse(r io.Reader) ([]Record, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("label.csv: %w", err)
	}
	out := make([]Record, 0, len(rows))
rows:
	for i, row := range rows {
		if len(row) < 12 {
			continue
		}
		rec := Record{Image: strings.TrimSpace(row[0])}
		for k := range rec.Votes {
			v, err := strconv.Atoi(strings.TrimSpace(row[2+k]))
			if err != nil {
				if i == 0 {
					continue rows // a header row
				}
				return nil, fmt.Errorf("label.csv line %d: vote %q: %w", i+1, row[2+k], err)
			}
			if v < 0 || v > MaxVotes {
				return nil, fmt.Errorf("label.csv line %d: vote %q: want a count from 0 to %d", i+1, row[2+k], MaxVotes)
			}
			rec.Votes[k] = v
		}
		if rec.Image != "" && rec.total() > 0 {
			out = append(out, rec)
		}
	}
	return out, nil
}

func (r Record) total() int {
	n := 0
	for _, v := range r.Votes {
		n += v
	}
	return n
}

// Majority returns the index (into Emotions) of the most voted column; ok
// is false when that column is unknown or not-a-face, when two columns tie
// for the most votes, or when there are no votes (the usual FER+ majority
// protocol: such faces are dropped).
func (r Record) Majority() (emotion int, ok bool) {
	best, tie := 0, false
	for k := 1; k < len(r.Votes); k++ {
		switch {
		case r.Votes[k] > r.Votes[best]:
			best, tie = k, false
		case r.Votes[k] == r.Votes[best]:
			tie = true
		}
	}
	if tie || best >= len(Emotions) || r.Votes[best] == 0 {
		return 0, false
	}
	return best, true
}

// Distribution returns the emotions' share of the emotion votes, after
// dropping single votes as outliers (as FER+'s reference code does); when
// that leaves nothing, all emotion votes count.
func (r Record) Distribution() []float64 {
	out := make([]float64, len(Emotions))
	for pass := 0; pass < 2; pass++ {
		var sum float64
		for k := range out {
			v := r.Votes[k]
			if pass == 0 && v <= 1 {
				v = 0
			}
			out[k] = float64(v)
			sum += out[k]
		}
		if sum > 0 {
			for k := range out {
				out[k] /= sum
			}
			return out
		}
	}
	return out
}

// ClassIndex maps FER+ emotion indices to indices of classes (a model's
// labels): by name, or through ToFER2013 for FER2013-named classes; -1
// where an emotion has no class.
func ClassIndex(classes []string) []int {
	idx := map[string]int{}
	for i, c := range classes {
		idx[strings.ToLower(c)] = i
	}
	out := make([]int, len(Emotions))
	for k, e := range Emotions {
		out[k] = -1
		if i, ok := idx[e]; ok {
			out[k] = i
		} else if i, ok := idx[ToFER2013[e]]; ok && ToFER2013[e] != "" {
			out[k] = i
		}
	}
	return out
}
