// Package tfjsref holds reference outputs that real TensorFlow.js computed
// for the graph models ferlive converts (HSE FaceRes, BlazeFace), and
// rebuilds their inputs from the shared photos, so conversions and imports
// (internal/tfjs to ONNX, the trainer's libtorch import) can be checked
// against the published models.
//
// Photos may not be committed, so each case names a shared photo and a
// fixed crop; Pixels decodes and resamples it in pure Go with integer
// arithmetic (bit-identical on every platform) and checks the result
// against the checksum that the reference run recorded. The outputs were
// computed once by bench/tfjs/reference.js (@tensorflow/tfjs-core 4.22.0,
// CPU backend) from inputs written by `go run ./internal/tfjs/tfjsref/gen`;
// `make tfjs-reference` redoes both steps.
package tfjsref

import (
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // the shared photos are JPEG
	"math"
	"os"
	"path/filepath"
)

// Case is one reference input and the outputs TensorFlow.js gave for it.
type Case struct {
	// Name identifies the case ("faceres/obama-720p").
	Name string
	// Model is the TF.js model.json, relative to the shared models folder.
	Model string
	// Person names who is in a face crop ("" for whole photos).
	Person string
	// Photo is the shared photo (relative to $FERLIVE_DATA/photos).
	Photo string
	// Crop is the photo region used: a face square for FaceRes, the whole
	// photo for BlazeFace (letterboxed: scaled to fit, top-left, black).
	Crop image.Rectangle
	// Size is the graph input side.
	Size int
	// Letterbox keeps the crop's aspect ratio, padding right and bottom.
	Letterbox bool
	// Scale and Offset map 0..255 pixels to the graph input
	// (x*Scale + Offset); FaceRes takes raw pixels (1, 0), BlazeFace
	// -1..1 (1/127.5, -1).
	Scale, Offset float64
	// SHA256 is the checksum of the graph input (float32 little endian,
	// NHWC) that the reference run read.
	SHA256 string
	// Outputs are the recorded outputs by name.
	Outputs map[string]Output
}

// Output is one recorded tensor. When Rows is set, Values holds only those
// rows of axis 1 (row-major, Shape[2] values each); otherwise all of it.
type Output struct {
	Shape  []int     `json:"shape"`
	Rows   []int     `json:"rows,omitempty"`
	Values []float32 `json:"values"`
}

// Output names recorded for FaceRes: the TensorFlow node names, and
// PoolPW11, the block conv_pw_11 output averaged over the image (512).
const (
	Descriptor = "global_pooling/Mean"
	Gender     = "gender_pred/Sigmoid"
	Age        = "age_pred/Softmax"
	PoolPW11   = "conv_pw_11/pooled"
	// PW11Node is the graph node whose output PoolPW11 averages.
	PW11Node = "conv_pw_11_relu/clip_by_value"
)

// faceCase is a FaceRes face crop: a square around a YuNet face box.
func faceCase(name, person, photo string, x0, y0, side int) Case {
	return Case{Name: "faceres/" + name, Model: "faceres/faceres-deep.json", Person: person, Photo: photo,
		Crop: image.Rect(x0, y0, x0+side, y0+side), Size: 224, Scale: 1}
}

// Defined lists the cases (inputs only; Cases adds the recorded outputs).
func Defined() []Case {
	return []Case{
		faceCase("obama-720p", "obama", "obama-720p.jpg", 548, 49, 233),
		faceCase("obama_and_biden-obama", "obama", "obama_and_biden.jpg", 1101, 349, 264),
		faceCase("two_people-obama", "obama", "two_people.jpg", 204, 21, 216),
		faceCase("biden", "biden", "biden.jpg", 350, 156, 440),
		faceCase("obama_and_biden-biden", "biden", "obama_and_biden.jpg", 715, 385, 263),
		faceCase("two_people-biden", "biden", "two_people.jpg", 748, 38, 227),
		{Name: "blazeface/two_people", Model: "blazeface/blazeface.json", Photo: "two_people.jpg",
			Crop: image.Rect(0, 0, 1126, 661), Size: 256, Letterbox: true, Scale: 1 / 127.5, Offset: -1},
		{Name: "blazeface/obama_and_biden", Model: "blazeface/blazeface.json", Photo: "obama_and_biden.jpg",
			Crop: image.Rect(0, 0, 2000, 1428), Size: 256, Letterbox: true, Scale: 1 / 127.5, Offset: -1},
	}
}

//go:embed reference.json
var referenceJSON []byte

type refFile struct {
	GeneratedBy string `json:"generated_by"`
	Cases       []struct {
		Name    string            `json:"name"`
		SHA256  string            `json:"sha256"`
		Outputs map[string]Output `json:"outputs"`
	} `json:"cases"`
}

// Cases returns every case with its recorded outputs.
func Cases() ([]Case, error) {
	var rf refFile
	if err := json.Unmarshal(referenceJSON, &rf); err != nil {
		return nil, fmt.Errorf("tfjsref reference.json: %w", err)
	}
	cs := Defined()
	for i := range cs {
		for _, r := range rf.Cases {
			if r.Name == cs[i].Name {
				cs[i].SHA256, cs[i].Outputs = r.SHA256, r.Outputs
			}
		}
		if cs[i].Outputs == nil {
			return nil, fmt.Errorf("tfjsref reference.json has no outputs for case %s: rerun make tfjs-reference", cs[i].Name)
		}
	}
	return cs, nil
}

// Pixels decodes the case's photo from dataDir/photos and returns the
// NHWC RGB tensor of side Size, values 0..255 (integers), computed with
// integer box averaging so every platform gets the same bits. When the
// case has a checksum, the graph input made from these pixels must match it.
func (c Case) Pixels(dataDir string) ([]float32, error) {
	path := filepath.Join(dataDir, "photos", c.Photo)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reference case %s: %w", c.Name, err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("reference case %s: decoding %s: %w", c.Name, path, err)
	}
	if !c.Crop.In(img.Bounds()) {
		return nil, fmt.Errorf("reference case %s: crop %v is not inside %s (%v)", c.Name, c.Crop, path, img.Bounds())
	}
	rgba := image.NewRGBA(image.Rect(0, 0, c.Crop.Dx(), c.Crop.Dy()))
	draw.Draw(rgba, rgba.Bounds(), img, c.Crop.Min, draw.Src)
	px := resample(rgba, c.Size, c.Letterbox)
	if c.SHA256 != "" {
		if got := Checksum(c.Input(px)); got != c.SHA256 {
			return nil, fmt.Errorf("reference case %s: input from %s has sha256 %s, want %s (a different photo?)", c.Name, path, got, c.SHA256)
		}
	}
	return px, nil
}

// Input maps pixels (from Pixels) to the graph input: x*Scale + Offset.
func (c Case) Input(px []float32) []float32 {
	if c.Scale == 1 && c.Offset == 0 {
		return px
	}
	out := make([]float32, len(px))
	for i, v := range px {
		out[i] = float32(float64(v)*c.Scale + c.Offset)
	}
	return out
}

// Checksum is the sha256 (hex) of a float32 tensor as little-endian bytes.
func Checksum(x []float32) string {
	h := sha256.Sum256(Bytes(x))
	return hex.EncodeToString(h[:])
}

// Bytes is a float32 tensor as little-endian bytes (what the reference
// harness reads).
func Bytes(x []float32) []byte {
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

// resample box-averages img into a size x size NHWC RGB tensor; with
// letterbox the image keeps its aspect ratio in the top-left corner and the
// rest is black. Each output pixel averages the source pixels whose
// indices fall in its footprint (at least one), rounded to an integer.
func resample(img *image.RGBA, size int, letterbox bool) []float32 {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	ow, oh := size, size
	if letterbox {
		if w >= h {
			oh = (h*size + w/2) / w
		} else {
			ow = (w*size + h/2) / h
		}
	}
	out := make([]float32, size*size*3)
	for y := 0; y < oh; y++ {
		y0 := y * h / oh
		y1 := max((y+1)*h/oh, y0+1)
		for x := 0; x < ow; x++ {
			x0 := x * w / ow
			x1 := max((x+1)*w/ow, x0+1)
			var s [3]int
			for yy := y0; yy < y1; yy++ {
				row := img.Pix[yy*img.Stride:]
				for xx := x0; xx < x1; xx++ {
					s[0] += int(row[4*xx])
					s[1] += int(row[4*xx+1])
					s[2] += int(row[4*xx+2])
				}
			}
			n := (y1 - y0) * (x1 - x0)
			o := (y*size + x) * 3
			for ch := 0; ch < 3; ch++ {
				out[o+ch] = float32((s[ch] + n/2) / n)
			}
		}
	}
	return out
}
