// Package train is ferlive's embedded trainer: it trains RLR-CNet (and the
// rows of the paper's ablation) or LFNSB on FER2013 or FER+ with libtorch,
// selects the best checkpoint on validation data, evaluates, plots and
// exports to ONNX with the model contract. The architectures meet the
// trainer through the Net interface. The libtorch parts build with
// the tag "torch"; the data pipeline (train/data), the FLOPs counter
// (internal/graphstat) and the plots (internal/plot) do not need it.
//
// Train, resume, export (build with `make trainer`):
//
//	ferlive train --arch rlrcnet --variant full --data ../shared/data/fer2013.tar.gz \
//	    --restore-from ../shared/data/ferplus.tar.gz --budget 60m --out runs/NAME
//	ferlive train --out runs/NAME --resume [--budget 90m]
//	ferlive export --checkpoint runs/NAME/best.pt --out M.onnx \
//	    [--data ../shared/data/fer2013.tar.gz --card M.md --recalibrate-bn 30]
//
// LFNSB on FER+ (FER2013Train / FER2013Valid / FER2013Test, 8 classes with
// contempt; --labels soft trains on the vote distributions; --size sets
// the input side, --ch-weight and --ch-alpha the Cosine-Harmony loss):
//
//	ferlive train --arch lfnsb --data ../shared/data/ferplus.tar.gz --size 48 --budget 80m --out runs/NAME
//	ferlive export --checkpoint runs/NAME/best.pt --out M.onnx --data ../shared/data/ferplus.tar.gz --card M.md
//
// Start from an exported model instead of random weights (fine-tune a
// shipped model on your own faces, or continue its training; the layers
// read their weights back from the graph, see nn.Importer and
// nn.Norm.Recentre):
//
//	ferlive train --arch rlrcnet --data myfaces --init-from rlrcnet \
//	    --optimizer adamw --lr 0.0005 --epochs 10 --out runs/NAME
//
// A run directory holds state.json (options, model config, normalisation,
// progress), last.pt (weights, batch-norm buffers and optimizer state,
// every epoch and on SIGINT), best.pt (best epoch on the selection split:
// PublicTest, or FER+ Valid), metrics.jsonl (one JSON object per epoch;
// public/private are the selection and test splits), log.txt, curves.png
// and confusion-public.png (the selection split). --variant
// shufflenet|rm|clipk5|sa|full reruns the paper's ablation rows (Table 3);
// --mask, --clip, --sa, --dual and --act switch single components.
//
// The shared FER2013 copy's training split is degraded (faces reduced to
// about 8x8 pixels of detail); the trainer logs the sharpness of each split
// and --restore-from swaps in the intact faces from FER+ (see
// data.Restore).
package train
