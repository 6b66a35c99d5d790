// Package nn holds the neural-network layers ferlive's models are built
// from (convolution with batch norm, linear, activations including
// beta-Mish, shuffle attention, channel shuffle). Every layer runs forward
// on libtorch and exports itself to ONNX (batch norm folded into the
// convolution), so an exported graph cannot drift from the trained model.
// It builds only with the build tag "torch".
package nn
