package facedetect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferlive/ferlive/testkit/testenv"
)

// wantErr checks that err is non-nil and mentions every one of parts.
func wantErr(t *testing.T, what string, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", what)
		return
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %q does not mention %q", what, err, p)
		}
	}
}

func TestWrongModelErrors(t *testing.T) {
	testenv.ORT(t)
	ultra, yunet := testenv.Model(t, ultraModel), testenv.Model(t, yunetFixedModel)
	_, err := NewYuNet(ultra, Options{})
	wantErr(t, "yunet given ultraface", err, ultra, "YuNet", "cls_8", "scores")
	_, err = New("yunet", ultra, Options{})
	wantErr(t, "New yunet given ultraface", err, ultra, "YuNet")
	_, err = NewUltraFace(yunet, Options{})
	wantErr(t, "ultraface given yunet", err, yunet, "UltraFace", "scores [1,N,2]", "cls_8")
	_, err = New("ultraface", yunet, Options{})
	wantErr(t, "New ultraface given yunet", err, yunet, "UltraFace")
	_, err = New("blazeface", yunet, Options{})
	wantErr(t, "New blazeface given yunet", err, yunet, "BlazeFace", "regressors [1,N,16]", "cls_8")
	_, err = NewYuNet(blazefaceModel(t), Options{})
	wantErr(t, "yunet given blazeface", err, "YuNet", "Identity")
}

func TestMissingModelErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.onnx")
	for _, kind := range []string{"yunet", "ultraface", "blazeface"} {
		_, err := New(kind, missing, Options{})
		wantErr(t, kind+" missing file", err, kind, missing)
		if kind == "blazeface" {
			continue // an empty path means the installed model
		}
		_, err = New(kind, "", Options{})
		wantErr(t, kind+" empty path", err, kind, ModelFlag)
	}
	_, err := New("haar", missing, Options{})
	wantErr(t, "haar missing file", err, missing)
	_, err = NewHaar(missing, Options{})
	wantErr(t, "NewHaar missing file", err, missing)
}

func TestNotAModelErrors(t *testing.T) {
	junk := filepath.Join(t.TempDir(), "junk.onnx")
	if err := os.WriteFile(junk, []byte("<opencv_storage>not a model</opencv_storage>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := NewHaar(junk, Options{})
	wantErr(t, "haar junk", err, junk)
	testenv.ORT(t)
	for _, kind := range []string{"yunet", "ultraface"} {
		_, err := New(kind, junk, Options{})
		wantErr(t, kind+" junk", err, kind, junk)
	}
}

func TestUnknownKind(t *testing.T) {
	_, err := New("ssd", "x.onnx", Options{})
	wantErr(t, "unknown kind", err, `"ssd"`, strings.Join(Kinds, ", "))
}

func TestDefaultKindIsHaar(t *testing.T) {
	if _, err := os.Stat(DefaultCascade); err != nil {
		t.Skipf("Debian's opencv-data is absent: %v", err)
	}
	d, err := New("", "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, ok := d.(*Haar); !ok {
		t.Fatalf("New(\"\") gave %T, want *Haar", d)
	}
}

// TestCascadeFiles checks that the cascade guard accepts Debian's cascades
// and refuses other files before OpenCV (which would abort) reads them.
func TestCascadeFiles(t *testing.T) {
	dir := t.TempDir()
	bad := map[string]string{
		"truncated.xml": "<?xml version=\"1.0\"?>\n<opencv_storage>\n<cascade type_id=\"opencv-cascade-classifier\"><stages>",
		"other.xml":     "<?xml version=\"1.0\"?>\n<opencv_storage><net type_id=\"x\"><stages/></net></opencv_storage>",
		"html.xml":      "<html><body>404</body></html>",
		"binary.onnx":   "\x08\x07\x12\x04test\x00\x01",
	}
	for name, body := range bad {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := NewHaar(p, Options{})
		wantErr(t, name, err, p, "not an OpenCV cascade")
	}
	good, _ := filepath.Glob("/usr/share/opencv4/*cascades/*frontalface*.xml")
	if len(good) == 0 {
		t.Skip("Debian's opencv-data is absent")
	}
	for _, p := range good {
		h, err := NewHaar(p, Options{})
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		h.Close()
	}
}
