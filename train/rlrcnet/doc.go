// Package rlrcnet defines RLR-CNet: a ShuffleNetV2 backbone with Clip_K5
// units (the 1x1 convolution before each depthwise convolution removed,
// 5x5 depthwise kernels), beta-Mish, shuffle attention between stage 2 and
// stage 3, and BBN's two branches (sharing every layer before stage 4) fed
// by a uniform and a reversed sampler with cumulative learning. Every
// component has a switch so the paper's ablation can be rerun. It builds
// only with the build tag "torch".
package rlrcnet
