//go:build torch

package rlrcnet

import "github.com/ferlive/ferlive/internal/onnx"

func onnxAxis1() *onnx.Attribute { return onnx.AInt("axis", 1) }
