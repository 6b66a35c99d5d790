package overlay

import (
	"image"
	"strconv"
	"sync"
	"testing"
)

func TestLRUEvictsLeastRecentlyUsed(t *testing.T) {
	c := newLRU[int](2, 1<<20)
	a, b, d := &mask{w: 1}, &mask{w: 2}, &mask{w: 3}
	c.put(1, a)
	c.put(2, b)
	if got, _ := c.get(1); got != a { // 1 is now the most recent
		t.Fatal("get(1) missed")
	}
	c.put(3, d)
	if _, ok := c.get(2); ok {
		t.Error("2 should have been evicted")
	}
	if _, ok := c.get(1); !ok {
		t.Error("1 should have stayed")
	}
	if c.len() != 2 {
		t.Errorf("len %d, want 2", c.len())
	}

	big := newLRU[int](100, 3000)
	for i := 0; i < 10; i++ {
		big.put(i, &mask{pix: make([]uint8, 1000)})
	}
	if big.len() != 2 || big.bytes > 3000 {
		t.Errorf("byte bound not kept: %d entries, %d bytes", big.len(), big.bytes)
	}
	if _, ok := big.get(9); !ok {
		t.Error("the newest entry was evicted")
	}
}

func TestCachesStayBounded(t *testing.T) {
	frame := gradientFrame(t, 640, 360)
	defer frame.Close()
	r := newRenderer(t, Options{})
	for i := 0; i < 3*textCacheSize/4; i++ {
		face := Face{ID: i, Box: image.Rect(100, 100, 160, 160+i%50), Labels: []string{"c" + strconv.Itoa(i), "d"}, Probs: []float32{0.6, 0.4}}
		if err := r.Draw(&frame, []Face{face}, &HUD{FPS: float64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if r.text.len() > textCacheSize || r.text.bytes > textCacheBytes || r.shapes.len() > shapeCacheSize || len(r.luts) > maxLUTs {
		t.Errorf("caches grew past their bounds: text %d, shapes %d, luts %d", r.text.len(), r.shapes.len(), len(r.luts))
	}
}

func TestDrawIsCached(t *testing.T) {
	frame := gradientFrame(t, 1280, 720)
	defer frame.Close()
	r := newRenderer(t, Options{})
	faces, huds := benchInputs(1280, 720, 4, 1)
	if err := r.Draw(&frame, faces[0], huds[0]); err != nil {
		t.Fatal(err)
	}
	n := r.text.len()
	for i := 0; i < 3; i++ {
		if err := r.Draw(&frame, faces[0], huds[0]); err != nil {
			t.Fatal(err)
		}
	}
	if r.text.len() != n {
		t.Errorf("redrawing the same frame rendered %d new text runs", r.text.len()-n)
	}
}

func TestConcurrentDraw(t *testing.T) {
	r := newRenderer(t, Options{})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		frame := gradientFrame(t, 320, 240)
		defer frame.Close()
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				face := Face{ID: g, Box: image.Rect(50, 50, 120, 130), Labels: fer2013, Probs: probs7(g, 0.5+float32(i)/100)}
				if err := r.Draw(&frame, []Face{face}, &HUD{FPS: float64(i)}); err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
