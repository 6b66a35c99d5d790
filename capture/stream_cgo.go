package capture

/*
#cgo !windows pkg-config: opencv4
#cgo CXXFLAGS: --std=c++11
#include <stdlib.h>
#include "stream_cgo.h"
*/
import "C"

import (
	"fmt"
	"time"
	"unsafe"

	"gocv.io/x/gocv"
)

// timedStream is a network stream opened through FFmpeg with bounded open
// and read times: a server that accepts and then sends nothing makes the
// open fail, and a read return false, after the timeout instead of
// OpenCV's default 30 s. It implements grabber and propGetter.
type timedStream struct{ p unsafe.Pointer }

// openTimedStream opens uri with the FFmpeg backend; open and read give up
// after the given times.
func openTimedStream(uri string, open, read time.Duration) (*timedStream, error) {
	cu := C.CString(uri)
	defer C.free(unsafe.Pointer(cu))
	p := C.ferlive_stream_open(cu, C.int(gocv.VideoCaptureFFmpeg), C.int(open.Milliseconds()), C.int(read.Milliseconds()))
	if p == nil {
		return nil, fmt.Errorf("no answer or no video within %v", open)
	}
	return &timedStream{p: p}, nil
}

// Read decodes the next frame into m; false when the stream ended, failed
// or sent nothing for the read timeout.
func (s *timedStream) Read(m *gocv.Mat) bool {
	return C.ferlive_stream_read(s.p, unsafe.Pointer(m.Ptr())) != 0
}

// Get reads a capture property (frame size, rate).
func (s *timedStream) Get(prop gocv.VideoCaptureProperties) float64 {
	return float64(C.ferlive_stream_get(s.p, C.int(prop)))
}

// Close releases the stream. Not concurrent with Read.
func (s *timedStream) Close() error {
	if s.p != nil {
		C.ferlive_stream_close(s.p)
		s.p = nil
	}
	return nil
}
