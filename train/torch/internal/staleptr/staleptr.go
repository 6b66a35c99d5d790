// Package staleptr leaves Go pointers behind in freed C memory, as C
// libraries do that were handed Go memory, so that tests can check that the
// torch binding never shows such leftovers to the garbage collector.
package staleptr

/*
#include <stdlib.h>
*/
import "C"

import "unsafe"

// Plant mallocs chunks blocks of size bytes on the calling OS thread, fills
// them with vals (cycled) and frees them, so that the thread's next mallocs
// of that size are likely to return them with the values still inside.
// Callers lock their goroutine to its thread (runtime.LockOSThread).
func Plant(size, chunks int, vals []uintptr) {
	if len(vals) == 0 || size < 8 {
		return
	}
	ps := make([]unsafe.Pointer, chunks)
	for i := range ps {
		p := C.malloc(C.size_t(size))
		words := unsafe.Slice((*uintptr)(p), size/8)
		for j := range words {
			words[j] = vals[(i*len(words)+j)%len(vals)]
		}
		ps[i] = p
	}
	for _, p := range ps {
		C.free(p)
	}
}
