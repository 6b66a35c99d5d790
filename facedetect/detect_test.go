package facedetect

import (
	"image"
	"testing"

	"gocv.io/x/gocv"
)

func TestDetectPhotos(t *testing.T) {
	want := map[string]int{"two_people.jpg": 2, "biden.jpg": 1, "obama-720p.jpg": 1}
	for _, c := range detectorCases {
		t.Run(c.name, func(t *testing.T) {
			d := newDetector(t, c, Options{})
			for photo, n := range want {
				img := readPhoto(t, photo)
				faces, err := d.Detect(img)
				if err != nil {
					t.Fatalf("%s: %v", photo, err)
				}
				if len(faces) != n {
					t.Errorf("%s: %d faces %v, want %d", photo, len(faces), boxes(faces), n)
				}
				checkFaces(t, photo, faces, img, landmarks[c.kind])
			}
		})
	}
}

func boxes(fs []Face) []image.Rectangle {
	r := make([]image.Rectangle, len(fs))
	for i, f := range fs {
		r[i] = f.Box
	}
	return r
}

// landmarks is the number of landmarks each detector kind gives.
var landmarks = map[string]int{"yunet": 5, "blazeface": 6}

// checkFaces verifies boxes inside the frame and non-empty, sane scores and
// nkps landmarks, the eyes, nose and mouth inside their (slightly enlarged)
// boxes and in face order.
func checkFaces(t *testing.T, what string, faces []Face, img gocv.Mat, nkps int) {
	t.Helper()
	frame := image.Rect(0, 0, img.Cols(), img.Rows())
	for _, f := range faces {
		if f.Box.Empty() || !f.Box.In(frame) {
			t.Errorf("%s: box %v empty or outside %v", what, f.Box, frame)
		}
		if f.Score <= 0 || f.Score > 1 {
			t.Errorf("%s: score %v", what, f.Score)
		}
		if nkps == 0 {
			if f.Landmarks != nil {
				t.Errorf("%s: unexpected landmarks", what)
			}
			continue
		}
		if len(f.Landmarks) != nkps {
			t.Errorf("%s: %d landmarks, want %d", what, len(f.Landmarks), nkps)
			continue
		}
		grown := f.Box.Inset(-f.Box.Dx() / 5)
		for _, p := range f.Landmarks[:4] { // BlazeFace's ear points lie beside the box
			if !p.In(grown) {
				t.Errorf("%s: landmark %v outside box %v", what, p, f.Box)
			}
		}
		// Eyes above the mouth (corners), right eye (image left) left of the left eye.
		l := f.Landmarks
		mouthL, mouthR := l[3], l[4]
		if nkps == 6 {
			mouthL, mouthR = l[3], l[3]
		}
		if !(l[0].X < l[1].X && l[0].Y < mouthL.Y && l[1].Y < mouthR.Y) {
			t.Errorf("%s: landmarks %v not in face order", what, l)
		}
	}
}

// TestDetectorsAgree checks that every detector finds the same two faces of
// two_people.jpg (Haar's boxes are tighter, hence IoU 0.5).
func TestDetectorsAgree(t *testing.T) {
	img := readPhoto(t, "two_people.jpg")
	results := make([][]Face, len(detectorCases))
	for i, c := range detectorCases {
		fs, err := newDetector(t, c, Options{}).Detect(img)
		if err != nil || len(fs) != 2 {
			t.Fatalf("%s: %d faces, %v", c.name, len(fs), err)
		}
		results[i] = fs
	}
	for i := range detectorCases {
		for j := i + 1; j < len(detectorCases); j++ {
			for _, a := range results[i] {
				best := 0.0
				for _, b := range results[j] {
					best = max(best, IoU(a.Box, b.Box))
				}
				if best < 0.5 {
					t.Errorf("%s box %v: best IoU %.2f with %s boxes %v", detectorCases[i].name, a.Box, best,
						detectorCases[j].name, boxes(results[j]))
				}
			}
		}
	}
}

// TestSmallFaces pastes a face at several sizes into a 1280x720 frame and
// checks the smallest size each detector finds with default options (see the
// defaults' comments).
func TestSmallFaces(t *testing.T) {
	src := readPhoto(t, "obama-720p.jpg")
	head := src.Region(image.Rect(540, 20, 780, 320)) // face about (579,58)-(742,272)
	defer head.Close()
	canvas := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(110, 120, 130, 0), 720, 1280, gocv.MatTypeCV8UC3)
	defer canvas.Close()
	sizes := []int{40, 60, 90, 140}
	var want []image.Rectangle
	x := 20
	for _, s := range sizes {
		f := float64(s) / 163
		sz := image.Pt(int(240*f), int(300*f))
		tmp := gocv.NewMat()
		gocv.Resize(head, &tmp, sz, 0, 0, gocv.InterpolationArea)
		roi := canvas.Region(image.Rect(x, 300, x+sz.X, 300+sz.Y))
		tmp.CopyTo(&roi)
		roi.Close()
		tmp.Close()
		want = append(want, image.Rect(x+int(39*f), 300+int(38*f), x+int(202*f), 300+int(252*f)))
		x += sz.X + 40
	}
	smallest := map[string]int{"haar": 90, "blazeface": 60, "yunet": 60, "yunet640": 40, "ultraface": 60}
	for _, c := range detectorCases {
		faces, err := newDetector(t, c, Options{}).Detect(canvas)
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range want {
			if sizes[i] < smallest[c.name] {
				continue
			}
			found := false
			for _, f := range faces {
				found = found || IoU(f.Box, w) > 0.4
			}
			if !found {
				t.Errorf("%s: face of %d px at %v not found in %v", c.name, sizes[i], w, boxes(faces))
			}
		}
		if len(faces) > len(sizes) {
			t.Errorf("%s: %d faces for %d pasted", c.name, len(faces), len(sizes))
		}
	}
}

// TestUltraFaceRaw checks that the export without post-processing is decoded
// with UltraFace's anchors and agrees with the post-processed one.
func TestUltraFaceRaw(t *testing.T) {
	img := readPhoto(t, "two_people.jpg")
	ref, err := newDetector(t, detectorCase{"ultraface", "ultraface", ultraModel}, Options{}).Detect(img)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := newDetector(t, detectorCase{"ultraface-raw", "ultraface", ultraRawModel}, Options{}).Detect(img)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != len(ref) {
		t.Fatalf("raw export: %v, post-processed: %v", boxes(raw), boxes(ref))
	}
	for i := range raw {
		if IoU(raw[i].Box, ref[i].Box) < 0.9 {
			t.Errorf("raw export box %v, post-processed %v", raw[i].Box, ref[i].Box)
		}
	}
}

func TestYuNetInputSize(t *testing.T) {
	img := readPhoto(t, "obama-720p.jpg")
	for _, c := range []struct {
		model   string
		maxSide int
		frame   image.Point
		want    image.Point
	}{
		{yunetDynModel, 640, image.Pt(640, 360), image.Pt(640, 384)},
		{yunetDynModel, 0, image.Pt(1280, 720), image.Pt(320, 192)},
		{yunetDynModel, 0, image.Pt(200, 150), image.Pt(224, 160)},
		{yunetFixedModel, 0, image.Pt(1280, 720), image.Pt(640, 640)},
	} {
		d := newDetector(t, detectorCase{"yunet", "yunet", c.model}, Options{MaxSide: c.maxSide}).(*YuNet)
		frame := resized(t, img, c.frame.X, c.frame.Y)
		faces, err := d.Detect(frame)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.InputSize(); got != c.want {
			t.Errorf("%s MaxSide %d frame %v: input %v, want %v", c.model, c.maxSide, c.frame, got, c.want)
		}
		if len(faces) != 1 {
			t.Errorf("%s frame %v: %d faces", c.model, c.frame, len(faces))
		}
	}
}

// TestBoxesScale checks that boxes are mapped back to frame coordinates: the
// same picture at two sizes gives proportional boxes.
func TestBoxesScale(t *testing.T) {
	img := readPhoto(t, "obama-720p.jpg")
	small := resized(t, img, 640, 360)
	for _, c := range detectorCases {
		d := newDetector(t, c, Options{})
		a, err1 := d.Detect(img)
		b, err2 := d.Detect(small)
		if err1 != nil || err2 != nil || len(a) != 1 || len(b) != 1 {
			t.Fatalf("%s: %v %v %v %v", c.name, boxes(a), boxes(b), err1, err2)
		}
		half := image.Rectangle{a[0].Box.Min.Div(2), a[0].Box.Max.Div(2)}
		if iou := IoU(half, b[0].Box); iou < 0.8 {
			t.Errorf("%s: 720p box %v, 360p box %v: IoU %.2f after scaling", c.name, a[0].Box, b[0].Box, iou)
		}
	}
}

func TestDetectBadFrames(t *testing.T) {
	img := readPhoto(t, "biden.jpg")
	gray := gocv.NewMat()
	defer gray.Close()
	gocv.CvtColor(img, &gray, gocv.ColorBGRToGray)
	empty := gocv.NewMat()
	defer empty.Close()
	for _, c := range detectorCases {
		d := newDetector(t, c, Options{})
		if _, err := d.Detect(empty); err == nil {
			t.Errorf("%s: empty frame accepted", c.name)
		}
		if _, err := d.Detect(gray); err == nil {
			t.Errorf("%s: gray frame accepted", c.name)
		}
		// A region of a larger frame is not continuous.
		roi := img.Region(image.Rect(300, 100, 800, 700))
		faces, err := d.Detect(roi)
		roi.Close()
		if err != nil || len(faces) != 1 {
			t.Errorf("%s: region frame: %v, %v", c.name, boxes(faces), err)
		}
		if err := d.Close(); err != nil {
			t.Errorf("%s: close: %v", c.name, err)
		}
		if _, err := d.Detect(img); err == nil {
			t.Errorf("%s: detect after close succeeded", c.name)
		}
	}
}
