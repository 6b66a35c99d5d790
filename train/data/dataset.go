// Package data loads face-expression datasets into memory (image-folder and
// FER2013 layouts, from a directory or a .tar.gz), augments them (flip,
// shift/scale/rotation, the RLR-CNet improved random masking) and batches
// them with uniform and class-reversed samplers. It needs no libtorch.
package data

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // FER2013 and most exports are JPEG
	_ "image/png"  // FER+ and others are PNG
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	_ "golang.org/x/image/bmp" // the other formats eval reads
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"

	"github.com/ferlive/ferlive/internal/imagefile"
)

// Dataset is a set of square grayscale images held in memory.
type Dataset struct {
	Classes []string  // label names, index = label
	Size    int       // side of every image
	Images  [][]uint8 // Size*Size pixels each, row major
	Labels  []int
	Names   []string    // file names (for reports)
	Soft    [][]float32 // per image class probabilities (FER+ vote distributions); nil for hard labels
}

// Len returns the number of images.
func (d *Dataset) Len() int { return len(d.Images) }

// Counts returns the number of images per class.
func (d *Dataset) Counts() []int {
	c := make([]int, len(d.Classes))
	for _, l := range d.Labels {
		c[l]++
	}
	return c
}

// MeanStd returns the mean and standard deviation of all pixels on 0..1.
func (d *Dataset) MeanStd() (mean, std float32) {
	var s, s2 float64
	var n float64
	for _, im := range d.Images {
		for _, p := range im {
			v := float64(p) / 255
			s += v
			s2 += v * v
		}
		n += float64(len(im))
	}
	if n == 0 {
		return 0, 1
	}
	m := s / n
	v := s2/n - m*m
	if v <= 0 {
		v = 1
	}
	return float32(m), float32(math.Sqrt(v))
}

// Selection picks the files of one split: those under a folder named Dir
// (e.g. "train", "test") whose base name starts with Prefix (e.g.
// "PublicTest"; empty keeps all).
type Selection struct {
	Dir    string
	Prefix string
}

// FER2013 returns the selections of the FER2013 protocol: train on
// Training, select on PublicTest, report PrivateTest.
func FER2013() (train, public, private Selection) {
	return Selection{"train", "Training"}, Selection{"test", "PublicTest"}, Selection{"test", "PrivateTest"}
}

// Load reads an image-folder dataset <root>/<dir>/<class>/<file> (folder
// names matched ignoring case) from a
// directory or a .tar.gz (the root may sit one folder deeper, as in
// fer2013.tar.gz's fer2013/ prefix, or path may be a data folder holding
// fer2013.tar.gz or fer2013/). classes fixes the label order; a class folder
// not among them is an error. Every image is converted to gray and resized
// to size x size. One dataset is returned per selection, in order.
func Load(path string, classes []string, size int, sel ...Selection) ([]*Dataset, error) {
	path = resolve(path)
	var raws []rawFile
	add := func(rel string, read func() ([]byte, error)) error {
		rel = filepath.ToSlash(rel)
		parts := strings.Split(rel, "/")
		if len(parts) < 3 {
			return nil
		}
		dir, class, name := parts[len(parts)-3], parts[len(parts)-2], parts[len(parts)-1]
		if !isImage(name) {
			return nil
		}
		for si, s := range sel {
			if !strings.EqualFold(dir, s.Dir) || !strings.HasPrefix(name, s.Prefix) {
				continue
			}
			b, err := read()
			if err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
			raws = append(raws, rawFile{sel: si, dir: dir, class: class, name: name, data: b})
			break
		}
		return nil
	}
	if err := walkFiles(path, add); err != nil {
		return nil, err
	}
	index := map[string]int{} // class folders match labels ignoring case
	for i, c := range classes {
		index[strings.ToLower(c)] = i
	}
	out := make([]*Dataset, len(sel))
	for i := range out {
		out[i] = &Dataset{Classes: append([]string(nil), classes...), Size: size}
	}
	sort.Slice(raws, func(i, j int) bool {
		if raws[i].sel != raws[j].sel {
			return raws[i].sel < raws[j].sel
		}
		return raws[i].name < raws[j].name
	})
	imgs, errs := decodeAll(len(raws), func(i int) []byte { return raws[i].data }, size)
	names := make([]string, len(raws))
	for i, r := range raws {
		names[i] = r.dir + "/" + r.class + "/" + r.name
	}
	if err := undecodable("dataset "+path, names, errs); err != nil {
		return nil, err
	}
	var unknown []string
	seen := map[string]bool{}
	for i, r := range raws {
		l, ok := index[strings.ToLower(r.class)]
		if !ok {
			if !seen[r.class] {
				seen[r.class] = true
				unknown = append(unknown, r.class)
			}
			continue
		}
		d := out[r.sel]
		d.Images = append(d.Images, imgs[i])
		d.Labels = append(d.Labels, l)
		d.Names = append(d.Names, r.name)
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("dataset %s: class folders %v are not among the labels %v", path, unknown, classes)
	}
	for i, d := range out {
		if d.Len() == 0 {
			return nil, fmt.Errorf("dataset %s: no images in %s/ starting with %q", path, sel[i].Dir, sel[i].Prefix)
		}
	}
	return out, nil
}

// decodeAll decodes n encoded images (data(i) is the i-th) to size x size
// gray on every core, and returns the images and per-image errors.
func decodeAll(n int, data func(i int) []byte, size int) ([][]uint8, []error) {
	imgs := make([][]uint8, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				imgs[i], errs[i] = decodeGray(data(i), size)
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	return imgs, errs
}

// undecodable reports the images that could not be decoded (names[i] is
// image i's) by the policy of internal/imagefile: all counted, the first
// few named with their reasons; nil when every image decoded.
func undecodable(src string, names []string, errs []error) error {
	var bad imagefile.Bad
	for i, e := range errs {
		if e != nil {
			bad.Add(names[i], e)
		}
	}
	if bad.Len() == 0 {
		return nil
	}
	return fmt.Errorf("%s: %s; fix or remove them", src, bad.Summary(len(errs), "cannot be decoded as JPEG, PNG, BMP, TIFF or WebP"))
}

type rawFile struct {
	sel              int
	dir, class, name string // split folder, class folder, file
	data             []byte
}

// resolve accepts the dataset itself or a data folder holding
// fer2013.tar.gz or fer2013/.
func resolve(path string) string {
	st, err := os.Stat(path)
	if err != nil || !st.IsDir() {
		return path
	}
	if _, err := os.Stat(filepath.Join(path, "train")); err == nil {
		return path
	}
	for _, c := range []string{"fer2013", "fer2013.tar.gz"} {
		if _, err := os.Stat(filepath.Join(path, c)); err == nil {
			return filepath.Join(path, c)
		}
	}
	return path
}

func isImage(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff":
		return true
	}
	return false
}

// walkFiles calls add for every regular file of the directory or .tar.gz
// at path, with its path relative to path and a function that reads it.
func walkFiles(path string, add func(rel string, read func() ([]byte, error)) error) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	if st.IsDir() {
		err = filepath.WalkDir(path, func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(path, p)
			return add(rel, func() ([]byte, error) { return os.ReadFile(p) })
		})
	} else {
		err = readTarGz(path, add)
	}
	if err != nil {
		return fmt.Errorf("dataset %s: %w", path, err)
	}
	return nil
}

// errStop, returned by readTarGz's callback, ends the walk without an error.
var errStop = errors.New("stop reading the archive")

// readTarGz calls add for every regular file of the .tar.gz at path, in
// archive order, with a function that reads the file's bytes; add returns
// errStop to end the walk early.
func readTarGz(path string, add func(rel string, read func() ([]byte, error)) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if err := add(h.Name, func() ([]byte, error) { return io.ReadAll(tr) }); err != nil {
			if err == errStop {
				return nil
			}
			return err
		}
	}
}

// decodeGray decodes an image upright and in gray, as decodeUpright does,
// and resizes it to size x size (area averaging when shrinking, bilinear
// when enlarging), as the runtime does.
func decodeGray(b []byte, size int) ([]uint8, error) {
	g, w, h, err := decodeUpright(b)
	if err != nil {
		return nil, err
	}
	if w == size && h == size {
		return g, nil
	}
	return Resize(g, w, h, size), nil
}

// decodeUpright decodes an image to gray the way OpenCV's imread and
// COLOR_BGR2GRAY do: turned upright by its EXIF orientation, gray as
// 0.299 R + 0.587 G + 0.114 B.
func decodeUpright(b []byte) (g []uint8, w, h int, err error) {
	im, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, 0, 0, err
	}
	r := im.Bounds()
	w, h = r.Dx(), r.Dy()
	g = make([]uint8, w*h)
	if gi, ok := im.(*image.Gray); ok {
		for y := 0; y < h; y++ {
			copy(g[y*w:(y+1)*w], gi.Pix[y*gi.Stride:y*gi.Stride+w])
		}
	} else {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.NRGBAModel.Convert(im.At(r.Min.X+x, r.Min.Y+y)).(color.NRGBA)
				v := 0.299*float64(c.R) + 0.587*float64(c.G) + 0.114*float64(c.B)
				g[y*w+x] = uint8(v + 0.5)
			}
		}
	}
	g, w, h = orient(g, w, h, jpegOrientation(b))
	return g, w, h, nil
}

// Resize scales a w x h gray image to size x size: area averaging when
// shrinking (like OpenCV INTER_AREA), bilinear otherwise.
func Resize(src []uint8, w, h, size int) []uint8 {
	dst := make([]uint8, size*size)
	if w >= size && h >= size {
		sx, sy := float64(w)/float64(size), float64(h)/float64(size)
		for y := 0; y < size; y++ {
			y0, y1 := float64(y)*sy, float64(y+1)*sy
			for x := 0; x < size; x++ {
				x0, x1 := float64(x)*sx, float64(x+1)*sx
				var s, ws float64
				for yy := int(y0); yy < h && float64(yy) < y1; yy++ {
					wy := minf(y1, float64(yy+1)) - maxf(y0, float64(yy))
					for xx := int(x0); xx < w && float64(xx) < x1; xx++ {
						wx := minf(x1, float64(xx+1)) - maxf(x0, float64(xx))
						s += wx * wy * float64(src[yy*w+xx])
						ws += wx * wy
					}
				}
				dst[y*size+x] = uint8(s/ws + 0.5)
			}
		}
		return dst
	}
	for y := 0; y < size; y++ {
		fy := (float64(y)+0.5)*float64(h)/float64(size) - 0.5
		for x := 0; x < size; x++ {
			fx := (float64(x)+0.5)*float64(w)/float64(size) - 0.5
			dst[y*size+x] = uint8(bilinear(src, w, h, fx, fy, 0) + 0.5)
		}
	}
	return dst
}

func minf(a, b float64) float64 {
	if a < b {
		return a
	}
	return b
}

func maxf(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}

// bilinear samples src at (fx, fy) with edge replication; outside fill is
// used more than one pixel outside the image.
func bilinear(src []uint8, w, h int, fx, fy, fill float64) float64 {
	if fx < -1 || fy < -1 || fx > float64(w) || fy > float64(h) {
		return fill
	}
	x0, y0 := int(floor(fx)), int(floor(fy))
	ax, ay := fx-float64(x0), fy-float64(y0)
	at := func(x, y int) float64 {
		if x < 0 {
			x = 0
		}
		if y < 0 {
			y = 0
		}
		if x >= w {
			x = w - 1
		}
		if y >= h {
			y = h - 1
		}
		return float64(src[y*w+x])
	}
	return (1-ay)*((1-ax)*at(x0, y0)+ax*at(x0+1, y0)) + ay*((1-ax)*at(x0, y0+1)+ax*at(x0+1, y0+1))
}

func floor(v float64) float64 {
	i := float64(int(v))
	if i > v {
		i--
	}
	return i
}

// Resolve returns the dataset root Load would use for path.
func Resolve(path string) string { return resolve(path) }
