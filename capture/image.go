package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"gocv.io/x/gocv"
)

// imageSource yields the images of a list of files, one frame each, in
// order; a single image is a list of one.
type imageSource struct {
	mu     sync.Mutex
	info   Info
	files  []string
	next   int
	first  gocv.Mat // decoded at open to validate and size the source; handed out as frame 0
	closed bool
}

// OpenImage opens one image file as a source of exactly one frame (Path set,
// PTS 0, then io.EOF). A missing, empty or undecodable file is an error
// naming it.
func OpenImage(path string) (Source, error) {
	if _, err := statRegular(path, "an image"); err != nil {
		return nil, err
	}
	return newImageSource(path, "image", []string{path})
}

// OpenFolder opens the images of a folder (jpg, png, bmp, webp, tiff, …;
// other files are skipped, sub-folders are not entered) in natural name
// order ("img2.png" before "img10.png"). Each Frame has Path set and PTS 0.
// Images may differ in size: Info reports the first one's, so consumers must
// take each Frame's own size. A folder without images is an error. An image
// that cannot be decoded makes Next return an error naming it, with its
// Index consumed; calling Next again continues with the following image.
func OpenFolder(path string) (Source, error) {
	entries, err := os.ReadDir(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such folder: %w", path, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("%s: cannot list the folder: %w", path, err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && isImageExt(e.Name()) {
			files = append(files, e.Name())
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no images in the folder (expected jpg, png, bmp, webp, tiff… files)", path)
	}
	sort.Slice(files, func(i, j int) bool { return naturalLess(files[i], files[j]) })
	for i, f := range files {
		files[i] = filepath.Join(path, f)
	}
	return newImageSource(path, "folder", files)
}

func newImageSource(name, kind string, files []string) (*imageSource, error) {
	first, err := readImage(files[0])
	if err != nil {
		return nil, err
	}
	info := Info{
		Name:   name,
		Kind:   kind,
		Width:  first.Cols(),
		Height: first.Rows(),
		Frames: len(files),
	}
	return &imageSource{info: info, files: files, first: first}, nil
}

// readImage decodes one image as BGR.
func readImage(path string) (gocv.Mat, error) {
	m := gocv.IMRead(path, gocv.IMReadColor)
	if m.Empty() {
		m.Close()
		if _, err := statRegular(path, "an image"); err != nil {
			return gocv.Mat{}, err
		}
		return gocv.Mat{}, fmt.Errorf("%s: not a readable image (OpenCV could not decode it)", path)
	}
	return m, nil
}

// Info describes the image or folder.
func (s *imageSource) Info() Info { return s.info }

// Next returns the next image; io.EOF after the last.
func (s *imageSource) Next(ctx context.Context) (Frame, error) {
	if err := ctx.Err(); err != nil {
		return Frame{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Frame{}, fmt.Errorf("%s: %w", s.info.Name, ErrClosed)
	}
	if s.next >= len(s.files) {
		return Frame{}, io.EOF
	}
	i := s.next
	s.next++
	if i == 0 {
		m := s.first
		s.first = gocv.Mat{}
		return Frame{Mat: m, Index: 0, Path: s.files[0]}, nil
	}
	m, err := readImage(s.files[i])
	if err != nil {
		return Frame{}, fmt.Errorf("%s: frame %d: %w", s.info.Name, i, err)
	}
	return Frame{Mat: m, Index: i, Path: s.files[i]}, nil
}

// Close releases the image not yet handed out; idempotent.
func (s *imageSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		if s.next == 0 {
			s.first.Close()
		}
	}
	return nil
}
