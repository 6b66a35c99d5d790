// Package lfnsb defines LFNSB (Chen and Huang, "A Lightweight Model
// Enhancing Facial Expression Recognition with Spatial Bias and
// Cosine-Harmony Loss", Computation 2024): LFN, a MobileFaceNet-style
// network (Conv2d_BN stem, depthwise Conv2d_BN, inverted-residual
// bottlenecks whose depthwise convolutions are MixConv with 3/5/7 kernels,
// a 1x1 convolution, RepVGGDW, a global depthwise convolution whose kernel
// is the final feature side, a 256-d embedding), the Spatial Bias module
// appended to the last feature map, and the Cosine-Harmony loss on the
// embedding. The exporter folds every batch norm and fuses RepVGGDW, so the
// ONNX graph holds plain convolutions. It builds only with the build tag
// "torch" (config.go does not need it).
package lfnsb
