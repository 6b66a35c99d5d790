package ort

import ort "github.com/yalue/onnxruntime_go"

// Version returns the version of the initialised ONNX Runtime library
// ("1.24.3"), or "" before Init.
func Version() string {
	if !ort.IsInitialized() {
		return ""
	}
	return ort.GetVersion()
}
