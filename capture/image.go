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
	first  gocv.Mat // decoded at open to validate and size the source; handed out first
	onBad  func(file string, reason error)
	handed bool // first has been handed out
	closed bool
}

// OpenImage opens one image file as a source of exactly one frame (Path set,
// PTS 0, then io.EOF). A missing, empty or undecodable file is an error
// naming it.
func OpenImage(path string) (Source, error) {
	if _, err := statRegular(path, "an image"); err != nil {
		return nil, err
	}
	return newImageSource(path, "image", []string{path}, nil)
}

// OpenFolder opens the images of a folder (jpg, png, bmp, webp, tiff, …;
// other files are skipped, sub-folders are not entered) in natural name
// order ("img2.png" before "img10.png"). Each Frame has Path set and PTS 0.
// Images may differ in size: Info reports the first one's, so consumers must
// take each Frame's own size. A folder without images is an error. An image
// that cannot be decoded makes Next return an error naming it, with its
// Index consumed; calling Next again continues with the following image.
func OpenFolder(path string) (Source, error) { return openFolder(path, nil) }

// openFolder is OpenFolder; with onBad set, an image that cannot be read
// (at open or in Next) is passed to onBad with its reason and skipped, and
// only a folder without any readable image is an error.
func openFolder(path string, onBad func(file string, reason error)) (Source, error) {
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
	s, err := newImageSource(path, "folder", files, onBad)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// newImageSource decodes the first image (with onBad, the first readable
// one, skipping and reporting those before it).
func newImageSource(name, kind string, files []string, onBad func(string, error)) (*imageSource, error) {
	s := &imageSource{files: files, onBad: onBad}
	for {
		first, err := readImage(files[s.next])
		if err == nil {
			s.first = first
			break
		}
		if err = s.skip(err); err != nil {
			return nil, err
		}
		if s.next++; s.next == len(files) {
			return nil, fmt.Errorf("%s: none of its %d images could be read", name, len(files))
		}
	}
	s.info = Info{
		Name:   name,
		Kind:   kind,
		Width:  s.first.Cols(),
		Height: s.first.Rows(),
		Frames: len(files),
	}
	return s, nil
}

// skip reports a bad file to onBad and returns nil, or returns err when
// there is no onBad (stop at the first bad file).
func (s *imageSource) skip(err error) error {
	var bad *BadFileError
	if s.onBad == nil || !errors.As(err, &bad) {
		return err
	}
	s.onBad(bad.Path, bad.Reason)
	return nil
}

// BadFileError is an image file that cannot be read, and why.
type BadFileError struct {
	Path   string
	Reason error
}

func (e *BadFileError) Error() string { return e.Path + ": " + e.Reason.Error() }

func (e *BadFileError) Unwrap() error { return e.Reason }

// readImage decodes one image as BGR; the error is a *BadFileError.
func readImage(path string) (gocv.Mat, error) {
	m := gocv.IMRead(path, gocv.IMReadColor)
	if m.Empty() {
		m.Close()
		return gocv.Mat{}, &BadFileError{Path: path, Reason: unreadable(path)}
	}
	return m, nil
}

// unreadable says why OpenCV could not decode path.
func unreadable(path string) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("no such file (expected an image): %w", fs.ErrNotExist)
	case err != nil:
		return err
	case st.IsDir():
		return errors.New("is a folder, expected an image")
	case st.Size() == 0:
		return errors.New("empty file (0 bytes), expected an image")
	}
	return errors.New("not a readable image (OpenCV could not decode it)")
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
	if !s.handed {
		s.handed = true
		m := s.first
		s.first = gocv.Mat{}
		i := s.next
		s.next++
		return Frame{Mat: m, Index: i, Path: s.files[i]}, nil
	}
	for {
		i := s.next
		s.next++
		m, err := readImage(s.files[i])
		if err == nil {
			return Frame{Mat: m, Index: i, Path: s.files[i]}, nil
		}
		if err = s.skip(err); err != nil {
			return Frame{}, fmt.Errorf("%s: frame %d: %w", s.info.Name, i, err)
		}
		if s.next >= len(s.files) {
			return Frame{}, io.EOF
		}
	}
}

// Close releases the image not yet handed out; idempotent.
func (s *imageSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		if !s.handed {
			s.first.Close()
		}
	}
	return nil
}
