package ferplus

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedLabelHead returns the first lines of FER+ Test/label.csv from the
// shared archive ($FERLIVE_DATA/ferplus.tar.gz), read at test time (shared
// data is never committed), or nil when it is absent.
func sharedLabelHead(lines int) []byte {
	d := os.Getenv("FERLIVE_DATA")
	if d == "" {
		return nil
	}
	f, err := os.Open(filepath.Join(d, "ferplus.tar.gz"))
	if err != nil {
		return nil
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			return nil
		}
		if strings.HasSuffix(h.Name, "FER2013Test/label.csv") {
			var b bytes.Buffer
			sc := bufio.NewScanner(io.LimitReader(tr, 1<<20))
			for i := 0; i < lines && sc.Scan(); i++ {
				b.Write(sc.Bytes())
				b.WriteByte('\n')
			}
			return b.Bytes()
		}
	}
}

// FuzzParse feeds arbitrary label.csv contents to the parser and the vote
// arithmetic built on it. No panic; every record has an image name, votes
// in [0, MaxVotes] and a positive total; its distribution is a probability
// vector (or all zeros) and its majority a valid emotion.
func FuzzParse(f *testing.F) {
	f.Add([]byte("fer0000000.png,\"(0, 0, 48, 48)\",4,0,0,1,3,0,0,0,2,0\nshort,row\n"))
	f.Add([]byte("image,box,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF\nfer1.png,x,0,10,0,0,0,0,0,0,0,0\n"))
	f.Add([]byte("a.png,b,-5,10,0,0,0,0,0,0,0,0\nb.png,b,9223372036854775807,9223372036854775807,0,0,0,0,0,0,0,0\n"))
	f.Add([]byte("\"unterminated,1,2\n"))
	if b := sharedLabelHead(40); b != nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := Parse(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, r := range recs {
			if r.Image == "" || r.total() <= 0 {
				t.Fatalf("record %+v kept", r)
			}
			for _, v := range r.Votes {
				if v < 0 || v > MaxVotes {
					t.Fatalf("record %+v: vote out of range", r)
				}
			}
			sum := 0.0
			for _, p := range r.Distribution() {
				if p < 0 || p > 1 || math.IsNaN(p) {
					t.Fatalf("record %+v: distribution %v", r, r.Distribution())
				}
				sum += p
			}
			if sum != 0 && math.Abs(sum-1) > 1e-9 {
				t.Fatalf("record %+v: distribution sums to %v", r, sum)
			}
			if k, ok := r.Majority(); ok && (k < 0 || k >= len(Emotions)) {
				t.Fatalf("record %+v: majority %d", r, k)
			}
		}
	})
}
