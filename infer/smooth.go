package infer

// Smoother averages each tracked face's probabilities over time with an
// exponential moving average: p = (1-s)*new + s*previous. s = 0 disables it.
type Smoother struct {
	s     float32
	state map[int][]float32
	seen  map[int]bool
}

// NewSmoother returns a smoother with history weight s in [0, 1).
func NewSmoother(s float64) *Smoother {
	return &Smoother{s: float32(s), state: map[int][]float32{}, seen: map[int]bool{}}
}

// Apply smooths probs for track id in place and returns it.
func (m *Smoother) Apply(id int, probs []float32) []float32 {
	m.seen[id] = true
	if m.s <= 0 {
		return probs
	}
	prev, ok := m.state[id]
	if !ok || len(prev) != len(probs) {
		m.state[id] = append([]float32(nil), probs...)
		return probs
	}
	for i := range probs {
		probs[i] = (1-m.s)*probs[i] + m.s*prev[i]
		prev[i] = probs[i]
	}
	return probs
}

// EndFrame forgets the tracks that were not seen since the previous call.
func (m *Smoother) EndFrame() {
	for id := range m.state {
		if !m.seen[id] {
			delete(m.state, id)
		}
	}
	clear(m.seen)
}
