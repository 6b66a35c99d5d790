package pipeline

import (
	"image"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/facedetect"
)

// refineSide is the side, in pixels, that a tracked face is scaled to when
// it is re-detected in its neighbourhood: small enough to be cheap, large
// enough for every detector (Haar's window is 24 px).
const refineSide = 56

// minRefineIoU is the overlap a re-detected face needs with its track's
// prediction: the tracker's own matching threshold, so a re-detection never
// starts a new track.
const minRefineIoU = facedetect.DefaultTrackIoU

// refiner re-detects tracked faces in small regions around their predicted
// boxes, on the frames where the full-frame detector is skipped.
type refiner struct {
	det    Detector
	scaled gocv.Mat
}

func newRefiner(det Detector) *refiner { return &refiner{det: det, scaled: gocv.NewMat()} }

func (r *refiner) Close() { r.scaled.Close() }

// refine returns the faces found near the predicted tracks, in frame
// coordinates: for each track, a square of 2.2 times the face around its
// predicted box, scaled so the face is about refineSide pixels, is searched
// and the detection overlapping the prediction most is kept.
func (r *refiner) refine(frame gocv.Mat, tracks []facedetect.Track) ([]facedetect.Face, error) {
	bounds := image.Rect(0, 0, frame.Cols(), frame.Rows())
	var out []facedetect.Face
	for _, t := range tracks {
		side := max(t.Box.Dx(), t.Box.Dy())
		if side < 8 {
			continue
		}
		c := image.Pt((t.Box.Min.X+t.Box.Max.X)/2, (t.Box.Min.Y+t.Box.Max.Y)/2)
		h := side * 11 / 10
		roi := image.Rect(c.X-h, c.Y-h, c.X+h, c.Y+h).Intersect(bounds)
		if roi.Dx() < 16 || roi.Dy() < 16 {
			continue
		}
		scale := float64(refineSide) / float64(side)
		sub := frame.Region(roi)
		size := image.Pt(max(1, int(float64(roi.Dx())*scale)), max(1, int(float64(roi.Dy())*scale)))
		interp := gocv.InterpolationArea
		if scale > 1 {
			interp = gocv.InterpolationLinear
		}
		gocv.Resize(sub, &r.scaled, size, 0, 0, interp)
		sub.Close()
		faces, err := r.det.Detect(r.scaled)
		if err != nil {
			return nil, err
		}
		best, bestIoU := facedetect.Face{}, minRefineIoU
		for _, f := range faces {
			b := image.Rect(int(float64(f.Box.Min.X)/scale), int(float64(f.Box.Min.Y)/scale),
				int(float64(f.Box.Max.X)/scale), int(float64(f.Box.Max.Y)/scale)).Add(roi.Min)
			if iou := facedetect.IoU(b, t.Box); iou > bestIoU {
				best, bestIoU = facedetect.Face{Box: b, Score: f.Score}, iou
			}
		}
		if bestIoU > minRefineIoU {
			out = append(out, best)
		}
	}
	return out, nil
}
