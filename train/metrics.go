package train

import "time"

// EpochMetrics is one line of metrics.jsonl.
type EpochMetrics struct {
	Epoch       int                `json:"epoch"`
	LR          float64            `json:"lr"`
	PeakLR      float64            `json:"peak_lr,omitempty"`
	Alpha       float64            `json:"alpha"`
	TrainLoss   float64            `json:"train_loss"`
	TrainAcc    float64            `json:"train_acc"`
	PublicAcc   float64            `json:"public_acc"`  // selection split: FER2013 PublicTest, FER+ Valid
	PrivateAcc  float64            `json:"private_acc"` // test split: FER2013 PrivateTest, FER+ Test
	PublicLoss  float64            `json:"public_loss"`
	WeightSweep map[string]float64 `json:"public_acc_by_weight,omitempty"`
	EpochSec    float64            `json:"epoch_s"`
	CPUSec      float64            `json:"cpu_s,omitempty"` // process CPU time of the epoch's training steps (all threads)
	ImgPerSec   float64            `json:"img_per_s"`
	Time        time.Time          `json:"time"`
}
