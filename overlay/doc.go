// Package overlay draws ferlive's annotations onto video frames: a box per
// face coloured by its top emotion, a rounded label with the track id, the
// emotion and its probability, the top probability bars, and a HUD with the
// frame rate and the per-stage latencies.
//
// Drawing is designed for real time on small devices. Text and rounded shapes
// are rasterised once, anti-aliased, into small coverage masks (Go's own fonts
// through the same freetype rasteriser gg uses; rounded shapes with gg) and
// kept in bounded LRU caches keyed by text, font and size. Each frame only
// composites those masks, tinted, straight into the pixel buffer of a BGR
// gocv.Mat, together with plain rectangles for boxes and bars. Nothing draws a
// full-frame image.
//
// A Renderer is safe for concurrent use; calls to Draw are serialised.
package overlay
