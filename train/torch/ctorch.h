// ctorch.h: the C boundary of the libtorch binding. Every function that can
// fail returns NULL on success or a malloc'd error message (freed by Go).
#ifndef FERLIVE_CTORCH_H
#define FERLIVE_CTORCH_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
typedef void *tensor;
typedef void *optim;

enum { U_RELU, U_TANH, U_SIGMOID, U_SOFTPLUS, U_SQRT, U_NEG, U_EXP, U_LOG, U_ABS, U_CONTIG, U_DETACH, U_CLONE, U_SUM, U_MEAN, U_LOG1P, U_RELU6 };
enum { B_ADD, B_SUB, B_MUL, B_DIV };
enum { S_ADD, S_MUL, S_POW, S_RSUB };

char *ct_from_float(const float *data, const int64_t *shape, int ndim, int requires_grad, tensor *out);
char *ct_from_int64(const int64_t *data, const int64_t *shape, int ndim, tensor *out);
char *ct_full(const int64_t *shape, int ndim, double v, tensor *out);
void ct_free(tensor t);
int ct_defined(tensor t);
int ct_ndim(tensor t);
void ct_shape(tensor t, int64_t *shape);
int ct_dtype(tensor t);
int64_t ct_numel(tensor t);
char *ct_copy_float(tensor t, float *dst, int64_t n);
char *ct_copy_int64(tensor t, int64_t *dst, int64_t n);
char *ct_item(tensor t, double *out);
char *ct_requires_grad(tensor t, int on);
int ct_is_requires_grad(tensor t);

char *ct_unary(int op, tensor x, tensor *out);
char *ct_binary(int op, tensor a, tensor b, tensor *out);
char *ct_scalar(int op, tensor a, double s, tensor *out);
char *ct_conv2d(tensor x, tensor w, tensor b, int64_t stride, int64_t pad, int64_t groups, tensor *out);
char *ct_batch_norm(tensor x, tensor w, tensor b, tensor rm, tensor rv, int training, double momentum, double eps, tensor *out);
char *ct_group_norm(tensor x, int64_t groups, tensor w, tensor b, double eps, tensor *out);
char *ct_linear(tensor x, tensor w, tensor b, tensor *out);
char *ct_reshape(tensor x, const int64_t *shape, int ndim, tensor *out);
char *ct_transpose(tensor x, int64_t d0, int64_t d1, tensor *out);
char *ct_pad2d(tensor x, int64_t left, int64_t right, int64_t top, int64_t bottom, tensor *out);
char *ct_narrow(tensor x, int64_t dim, int64_t start, int64_t len, tensor *out);
char *ct_cat(const tensor *xs, int n, int64_t dim, tensor *out);
char *ct_reduce_dims(tensor x, const int64_t *dims, int n, int keepdim, int mean, tensor *out);
char *ct_softmax(tensor x, int64_t dim, tensor *out);
char *ct_log_softmax(tensor x, int64_t dim, tensor *out);
char *ct_argmax(tensor x, int64_t dim, tensor *out);
char *ct_cross_entropy(tensor logits, tensor target, double smoothing, tensor *out);
char *ct_betamish(tensor x, double a, double b, tensor *out);
char *ct_max_pool2d(tensor x, int64_t k, int64_t stride, int64_t pad, tensor *out);
char *ct_adaptive_avg_pool2d(tensor x, int64_t oh, int64_t ow, tensor *out);
char *ct_upsample_bilinear2d(tensor x, int64_t oh, int64_t ow, int align_corners, tensor *out);
char *ct_prelu(tensor x, tensor w, tensor *out);
char *ct_soft_cross_entropy(tensor logits, tensor target, double smoothing, tensor *out);

char *ct_backward(tensor t);
char *ct_grad(tensor t, tensor *out); /* *out NULL when the grad is undefined */
char *ct_zero_grad(tensor t);
char *ct_copy_(tensor dst, tensor src);

void ct_set_num_threads(int n);
int ct_get_num_threads(void);
void ct_set_grad_enabled(int on);
int ct_is_grad_enabled(void);
void ct_manual_seed(uint64_t seed);

char *ct_save(const char **names, const tensor *ts, int n, const char *path);
char *ct_load(const char **names, const tensor *ts, int n, const char *path);
char *ct_load_names(const char *path, char **out); /* newline-separated keys */

/* kind 0 = SGD (a=momentum, b=nesterov flag), 1 = AdamW (a=beta1, b=beta2). */
char *ct_optim_new(int kind, const tensor *params, const double *wd, int n, double a, double b, double eps, optim *out);
char *ct_optim_step(optim o, double lr);
char *ct_optim_zero_grad(optim o);
int ct_optim_nstate(optim o);
tensor ct_optim_state(optim o, int i); /* a new handle sharing the state tensor */
int64_t ct_optim_steps(optim o);
void ct_optim_set_steps(optim o, int64_t s);
void ct_optim_free(optim o);
#ifdef __cplusplus
}
#endif
#endif
