// Package record writes per-frame recognition results as JSON Lines and CSV.
// Every frame is flushed to the file as it is written, so an interrupted run
// keeps every frame it processed.
package record

import (
	"bufio"
	"fmt"
	"image"
	"os"
	"strconv"
	"time"
)

// Face is one classified face of a frame.
type Face struct {
	ID    int
	Box   image.Rectangle
	Label string
	Score float32
	Probs []float32 // in the model's label order
}

// Frame is the result of one input frame.
type Frame struct {
	Index int
	PTS   time.Duration
	Path  string // the image file, for image folders
	Faces []Face
}

// Writer is a per-frame result sink.
type Writer interface {
	Write(f *Frame) error
	Close() error
}

// file is a buffered output file flushed after every frame.
type file struct {
	path string
	f    *os.File
	w    *bufio.Writer
}

func create(path string) (*file, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &file{path: path, f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

func (f *file) flush() error {
	if err := f.w.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	return nil
}

func (f *file) close() error {
	if f.f == nil {
		return nil
	}
	err := f.flush()
	if cerr := f.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("closing %s: %w", f.path, cerr)
	}
	f.f = nil
	return err
}

// JSONL writes one JSON object per input frame:
//
//	{"frame":0,"time_ms":0.0,"faces":[{"id":1,"box":[x,y,w,h],"label":"happy","score":0.91,"probs":{"angry":0.01,...}}]}
//
// with probs in the model's label order and "path" added for image folders.
type JSONL struct {
	*file
	labels []string
	buf    []byte
}

// NewJSONL creates (truncates) the file at path.
func NewJSONL(path string, labels []string) (*JSONL, error) {
	f, err := create(path)
	if err != nil {
		return nil, fmt.Errorf("JSON Lines output: %w", err)
	}
	return &JSONL{file: f, labels: labels}, nil
}

// Write appends one frame and flushes it.
func (j *JSONL) Write(fr *Frame) error {
	b := j.buf[:0]
	b = append(b, `{"frame":`...)
	b = strconv.AppendInt(b, int64(fr.Index), 10)
	b = append(b, `,"time_ms":`...)
	b = strconv.AppendFloat(b, float64(fr.PTS)/float64(time.Millisecond), 'f', 3, 64)
	if fr.Path != "" {
		b = append(b, `,"path":`...)
		b = strconv.AppendQuote(b, fr.Path)
	}
	b = append(b, `,"faces":[`...)
	for i, f := range fr.Faces {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = strconv.AppendInt(b, int64(f.ID), 10)
		b = append(b, `,"box":[`...)
		for k, v := range []int{f.Box.Min.X, f.Box.Min.Y, f.Box.Dx(), f.Box.Dy()} {
			if k > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(v), 10)
		}
		b = append(b, `],"label":`...)
		b = strconv.AppendQuote(b, f.Label)
		b = append(b, `,"score":`...)
		b = strconv.AppendFloat(b, float64(f.Score), 'f', 4, 32)
		b = append(b, `,"probs":{`...)
		for k, p := range f.Probs {
			if k > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendQuote(b, j.labels[k])
			b = append(b, ':')
			b = strconv.AppendFloat(b, float64(p), 'f', 4, 32)
		}
		b = append(b, "}}"...)
	}
	b = append(b, "]}\n"...)
	j.buf = b
	if _, err := j.w.Write(b); err != nil {
		return fmt.Errorf("writing %s: %w", j.path, err)
	}
	return j.flush()
}

// Close flushes and closes the file; it is idempotent.
func (j *JSONL) Close() error { return j.close() }

// CSV writes one row per face: frame, time_ms, path, id, x, y, w, h, label,
// score and one probability column per class. Frames without faces add no row.
type CSV struct {
	*file
	labels []string
	buf    []byte
}

// NewCSV creates (truncates) the file at path and writes the header.
func NewCSV(path string, labels []string) (*CSV, error) {
	f, err := create(path)
	if err != nil {
		return nil, fmt.Errorf("CSV output: %w", err)
	}
	c := &CSV{file: f, labels: labels}
	hdr := []byte("frame,time_ms,path,id,x,y,w,h,label,score")
	for _, l := range labels {
		hdr = append(hdr, ',')
		hdr = appendCSVField(hdr, l)
	}
	hdr = append(hdr, '\n')
	if _, err := c.w.Write(hdr); err != nil {
		c.close()
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return c, c.flush()
}

// Write appends the frame's rows and flushes them.
func (c *CSV) Write(fr *Frame) error {
	b := c.buf[:0]
	for _, f := range fr.Faces {
		b = strconv.AppendInt(b, int64(fr.Index), 10)
		b = append(b, ',')
		b = strconv.AppendFloat(b, float64(fr.PTS)/float64(time.Millisecond), 'f', 3, 64)
		b = append(b, ',')
		b = appendCSVField(b, fr.Path)
		for _, v := range []int{f.ID, f.Box.Min.X, f.Box.Min.Y, f.Box.Dx(), f.Box.Dy()} {
			b = append(b, ',')
			b = strconv.AppendInt(b, int64(v), 10)
		}
		b = append(b, ',')
		b = appendCSVField(b, f.Label)
		b = append(b, ',')
		b = strconv.AppendFloat(b, float64(f.Score), 'f', 4, 32)
		for _, p := range f.Probs {
			b = append(b, ',')
			b = strconv.AppendFloat(b, float64(p), 'f', 4, 32)
		}
		b = append(b, '\n')
	}
	c.buf = b
	if _, err := c.w.Write(b); err != nil {
		return fmt.Errorf("writing %s: %w", c.path, err)
	}
	return c.flush()
}

// Close flushes and closes the file; it is idempotent.
func (c *CSV) Close() error { return c.close() }

func appendCSVField(b []byte, s string) []byte {
	needs := false
	for _, r := range s {
		if r == ',' || r == '"' || r == '\n' || r == '\r' {
			needs = true
			break
		}
	}
	if !needs {
		return append(b, s...)
	}
	b = append(b, '"')
	for _, r := range s {
		if r == '"' {
			b = append(b, '"')
		}
		b = append(b, string(r)...)
	}
	return append(b, '"')
}
