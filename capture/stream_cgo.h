#ifndef FERLIVE_STREAM_CGO_H
#define FERLIVE_STREAM_CGO_H
#ifdef __cplusplus
extern "C" {
#endif
void* ferlive_stream_open(const char* uri, int api, int open_ms, int read_ms);
int ferlive_stream_read(void* vc, void* mat);
double ferlive_stream_get(void* vc, int prop);
void ferlive_stream_close(void* vc);
#ifdef __cplusplus
}
#endif
#endif
