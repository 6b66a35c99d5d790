// Package train is ferlive's embedded trainer: it trains RLR-CNet (and the
// paper's ablation rows) on an image-folder dataset with libtorch, selects
// the best checkpoint on validation data, evaluates, plots and exports to
// ONNX with the model contract. The libtorch parts build with the tag
// "torch"; the data pipeline (train/data) and plots (train/plot) do not
// need it.
package train
