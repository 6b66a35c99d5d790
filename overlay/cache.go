package overlay

import "container/list"

// lru is a least-recently-used cache of masks bounded both in entries and
// in bytes.
type lru[K comparable] struct {
	cap      int // entries
	maxBytes int
	bytes    int
	order    *list.List // front = most recently used; values are *lruEntry[K]
	items    map[K]*list.Element
}

type lruEntry[K comparable] struct {
	key K
	val *mask
}

func newLRU[K comparable](capacity, maxBytes int) *lru[K] {
	capacity = max(capacity, 1)
	return &lru[K]{cap: capacity, maxBytes: maxBytes, order: list.New(), items: make(map[K]*list.Element)}
}

// size is the memory a mask holds, roughly.
func (m *mask) size() int { return len(m.pix) + 16*len(m.rows) + 64 }

// get returns the cached mask for k, marking it recently used.
func (c *lru[K]) get(k K) (*mask, bool) {
	e, ok := c.items[k]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*lruEntry[K]).val, true
}

// put stores v under k, evicting least recently used entries while the
// cache is over either bound (v itself always stays).
func (c *lru[K]) put(k K, v *mask) {
	if e, ok := c.items[k]; ok {
		ent := e.Value.(*lruEntry[K])
		c.bytes += v.size() - ent.val.size()
		ent.val = v
		c.order.MoveToFront(e)
	} else {
		c.items[k] = c.order.PushFront(&lruEntry[K]{key: k, val: v})
		c.bytes += v.size()
	}
	for c.order.Len() > 1 && (c.order.Len() > c.cap || c.bytes > c.maxBytes) {
		last := c.order.Back()
		ent := last.Value.(*lruEntry[K])
		c.order.Remove(last)
		delete(c.items, ent.key)
		c.bytes -= ent.val.size()
	}
}

// len is the number of cached entries.
func (c *lru[K]) len() int { return c.order.Len() }
