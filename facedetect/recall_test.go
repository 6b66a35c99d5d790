package facedetect

import (
	"fmt"
	"image"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/testkit/synth"
	"github.com/ferlive/ferlive/testkit/testenv"
)

// TestRecallByFaceSize pastes the face of obama-720p.jpg at widths from 16
// to 300 px into 640x360 and 1280x720 frames, one face per frame, and logs
// which sizes each detector finds with its default options (IoU > 0.4 with
// the pasted face box). It requires BlazeFace, the default detector, to
// find every face from 24 px in 640x360 (its input is 256 px, so that is
// under 10 px there) and from 48 px in 1280x720.
func TestRecallByFaceSize(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 14 s of detection")
	}
	src := readPhoto(t, "obama-720p.jpg")
	head := src.Region(image.Rect(540, 20, 780, 320)) // face about (579,58)-(742,272)
	defer head.Close()
	sizes := []int{16, 20, 24, 28, 32, 40, 48, 60, 80, 100, 120, 160, 220, 300}
	need := map[image.Point]int{{640, 360}: 24, {1280, 720}: 48}
	for _, frameSize := range []image.Point{{640, 360}, {1280, 720}} {
		var lines []string
		for _, c := range detectorCases {
			d := newDetector(t, c, Options{})
			var found []string
			for _, s := range sizes {
				f := float64(s) / 163
				sz := image.Pt(int(240*f), int(300*f))
				if sz.Y > frameSize.Y {
					continue
				}
				canvas := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(110, 120, 130, 0), frameSize.Y, frameSize.X, gocv.MatTypeCV8UC3)
				tmp := gocv.NewMat()
				gocv.Resize(head, &tmp, sz, 0, 0, gocv.InterpolationArea)
				at := image.Pt((frameSize.X-sz.X)/3, (frameSize.Y-sz.Y)/2)
				roi := canvas.Region(image.Rectangle{at, at.Add(sz)})
				tmp.CopyTo(&roi)
				roi.Close()
				tmp.Close()
				want := image.Rect(at.X+int(39*f), at.Y+int(38*f), at.X+int(202*f), at.Y+int(252*f))
				faces, err := d.Detect(canvas)
				canvas.Close()
				if err != nil {
					t.Fatal(err)
				}
				ok := false
				for _, fc := range faces {
					ok = ok || IoU(fc.Box, want) > 0.4
				}
				if ok {
					found = append(found, fmt.Sprint(s))
				} else if c.kind == "blazeface" && s >= need[frameSize] {
					t.Errorf("blazeface %v: face of %d px not found (%v)", frameSize, s, boxes(faces))
				}
			}
			lines = append(lines, fmt.Sprintf("%-10s %s", c.name, strings.Join(found, " ")))
		}
		t.Logf("%dx%d, face widths found (px):\n%s", frameSize.X, frameSize.Y, strings.Join(lines, "\n"))
	}
}

// TestClipRecall renders two 640x360 clips from the shared photos (the
// end-to-end scene: faces of 70-160 px moving, scaling, darkening and
// brightening; and an audience of nine faces of 34-65 px in two rows, one in
// deep shadow, one cut by the frame's edge), encodes them as H.264 like a
// real video, and counts per detector the frames in which it finds a face
// (of the frames that hold one), the true face-frames found (IoU >= 0.5)
// and the boxes that match no face. BlazeFace must find faces in every face
// frame of both clips, at least 95% of their face-frames, and nothing else.
func TestClipRecall(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: about a minute of detection")
	}
	photos := filepath.Join(testenv.Data(t), "photos")
	dir := t.TempDir()
	clips := []struct {
		name  string
		spec  synth.Spec
		faces []synth.Face
	}{
		{"e2e", synth.EndToEnd(), synth.PhotoFaces(photos)},
		{"crowd", synth.Crowd(640, 360, 40), synth.CrowdFaces(photos)},
	}
	for _, cl := range clips {
		path := filepath.Join(dir, cl.name+".mp4")
		truth, err := synth.Write(path, cl.spec, cl.faces)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, c := range detectorCases {
			d := newDetector(t, c, Options{})
			vc, err := gocv.VideoCaptureFile(path)
			if err != nil {
				t.Fatal(err)
			}
			frame := gocv.NewMat()
			faceFrames, framesFound, pairs, hits, spurious := 0, 0, 0, 0, 0
			for i := 0; vc.Read(&frame) && i < len(truth); i++ {
				faces, err := d.Detect(frame)
				if err != nil {
					t.Fatal(err)
				}
				tr := truth[i]
				if len(tr) > 0 {
					faceFrames++
				}
				anyHit := false
				matched := make([]bool, len(faces))
				for _, tb := range tr {
					pairs++
					best, bi := 0.0, -1
					for j, f := range faces {
						if iou := IoU(f.Box, tb); iou > best {
							best, bi = iou, j
						}
					}
					if best >= 0.5 {
						hits++
						anyHit = true
						matched[bi] = true
					} else if bi >= 0 && best > 0.2 {
						matched[bi] = true // a loose box on a true face is not spurious
					}
				}
				if anyHit {
					framesFound++
				}
				for _, m := range matched {
					if !m {
						spurious++
					}
				}
			}
			frame.Close()
			vc.Close()
			recall := float64(hits) / float64(max(pairs, 1))
			lines = append(lines, fmt.Sprintf("%-10s frames with a face found %3d/%d, face-frames %5.1f%% (%d/%d), spurious boxes %d",
				c.name, framesFound, faceFrames, 100*recall, hits, pairs, spurious))
			if c.kind == "blazeface" {
				if framesFound < faceFrames {
					t.Errorf("%s: blazeface found faces in %d of %d face frames", cl.name, framesFound, faceFrames)
				}
				if recall < 0.95 {
					t.Errorf("%s: blazeface found %.1f%% of the face-frames, want >= 95%%", cl.name, 100*recall)
				}
				if spurious > 0 {
					t.Errorf("%s: blazeface gave %d boxes on no face", cl.name, spurious)
				}
			}
		}
		t.Logf("clip %s (640x360, %d frames):\n%s", cl.name, len(truth), strings.Join(lines, "\n"))
	}
}
