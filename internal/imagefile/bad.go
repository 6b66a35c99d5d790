// Package imagefile holds ferlive's one policy for image files that cannot
// be read, shared by the trainer's datasets and `annotate --input FOLDER`:
// every readable file is used, each unreadable one is collected with its
// reason, and one summary names the first few and counts the rest, so that
// they can be fixed or removed in one go. What a caller does with the
// summary is its own: the trainer refuses the dataset, annotate finishes
// the folder and exits with status 1.
package imagefile

import (
	"fmt"
	"strings"
)

// Shown is how many bad files a summary names; the rest are counted.
const Shown = 5

// Bad collects the files that could not be read. The zero value is ready
// to use; it is not safe for concurrent use.
type Bad struct {
	named []string // "name (reason)" of the first Shown files
	n     int
}

// Add records that the file name could not be read, for reason.
func (b *Bad) Add(name string, reason error) {
	if b.n++; len(b.named) < Shown {
		b.named = append(b.named, fmt.Sprintf("%s (%v)", name, reason))
	}
}

// Len is the number of bad files recorded.
func (b *Bad) Len() int { return b.n }

// Summary says how many of total files were bad, as what ("cannot be
// decoded", "skipped"), naming the first Shown with their reasons:
// "2 of 10 images skipped: a.jpg (empty file), b.png (…)". It is "" when
// no file was bad.
func (b *Bad) Summary(total int, what string) string {
	if b.n == 0 {
		return ""
	}
	more := ""
	if b.n > len(b.named) {
		more = fmt.Sprintf(", and %d more", b.n-len(b.named))
	}
	return fmt.Sprintf("%d of %d images %s: %s%s", b.n, total, what, strings.Join(b.named, ", "), more)
}
