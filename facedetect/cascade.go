package facedetect

import (
	"compress/gzip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// checkCascade verifies that path is a well-formed OpenCV cascade file
// before OpenCV reads it: OpenCV 4.6 throws a C++ exception on a malformed
// one, which gocv does not catch and which aborts the process.
func checkCascade(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		defer gz.Close()
		r = gz
	}
	dec := xml.NewDecoder(r)
	depth, first, typ, stages := 0, "", "", false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s is not an OpenCV cascade XML file: %w", path, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 1 && t.Name.Local != "opencv_storage":
				return fmt.Errorf("%s is not an OpenCV cascade XML file: root element <%s>, want <opencv_storage>", path, t.Name.Local)
			case depth == 2 && first == "":
				first = t.Name.Local
				for _, a := range t.Attr {
					if a.Name.Local == "type_id" {
						typ = a.Value
					}
				}
			case depth == 3 && t.Name.Local == "stages":
				stages = true
			}
		case xml.EndElement:
			depth--
		}
	}
	if first != "cascade" && typ != "opencv-cascade-classifier" && typ != "opencv-haar-classifier" {
		return fmt.Errorf("%s is not an OpenCV cascade XML file: its first node <%s> is not a <cascade> or of type opencv-cascade-classifier", path, first)
	}
	if !stages {
		return fmt.Errorf("%s is not an OpenCV cascade XML file: no <stages>", path)
	}
	return nil
}
