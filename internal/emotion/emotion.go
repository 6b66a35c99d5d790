// Package emotion knows the names facial expressions go by in the common
// FER datasets (FER2013's angry/happy/sad, FER+'s and RAF-DB's
// anger/happiness/sadness, adjective forms in other exports), so that a
// class folder or label in one spelling can be matched to a model's label
// in another.
package emotion

import "strings"

// Canonical maps a label to one name per emotion: angry, disgust, fear,
// happy, neutral, sad, surprise or contempt, ignoring case and surrounding
// spaces. Any other label comes back lower-cased and trimmed.
func Canonical(label string) string {
	l := strings.ToLower(strings.TrimSpace(label))
	switch l {
	case "anger", "angry":
		return "angry"
	case "disgust", "disgusted":
		return "disgust"
	case "fear", "fearful", "afraid":
		return "fear"
	case "happy", "happiness", "joy":
		return "happy"
	case "neutral", "neutrality":
		return "neutral"
	case "sad", "sadness":
		return "sad"
	case "surprise", "surprised":
		return "surprise"
	case "contempt":
		return "contempt"
	}
	return l
}

// Matcher matches class names (dataset folders) to a model's labels.
type Matcher struct {
	labels []string
	exact  map[string]int
	canon  map[string]int // -1 where two labels mean the same emotion
}

// NewMatcher returns a Matcher for labels.
func NewMatcher(labels []string) *Matcher {
	m := &Matcher{labels: labels, exact: map[string]int{}, canon: map[string]int{}}
	for i, l := range labels {
		m.exact[strings.ToLower(strings.TrimSpace(l))] = i
		c := Canonical(l)
		if _, dup := m.canon[c]; dup {
			m.canon[c] = -1
		} else {
			m.canon[c] = i
		}
	}
	return m
}

// Match returns the index of the label name stands for: the label of that
// name, ignoring case, or else the one label that names the same emotion
// in another spelling (folder angry, label anger). ok is false when there
// is none, or when two labels name that emotion; renamed reports a match in
// another spelling, which callers should report.
func (m *Matcher) Match(name string) (index int, renamed, ok bool) {
	if i, ok := m.exact[strings.ToLower(strings.TrimSpace(name))]; ok {
		return i, false, true
	}
	if i, ok := m.canon[Canonical(name)]; ok && i >= 0 {
		return i, true, true
	}
	return -1, false, false
}

// Label returns label i.
func (m *Matcher) Label(i int) string { return m.labels[i] }
